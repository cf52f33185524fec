import ArgumentParser
import BerthYAML
import BerthModel
import BerthLoading
import BerthEngine
import BerthObserve
import BerthPlan

/// load -> resolve -> observe, as every command that looks at the world runs it. Failures are
/// reported on standard error and end the command with exit code 1.
struct Pipeline {
    let global: GlobalOptions
    let console: Console

    init(_ global: GlobalOptions) {
        self.global = global
        self.console = global.console()
    }

    func load(_ name: String) throws -> (ProjectLoader, Environment) {
        let loader = global.loader()
        let result: LoadResult
        do {
            result = try loader.load(name)
        } catch {
            console.fail(error.description)
            throw ExitCode(1)
        }
        console.report(result.diagnostics)
        guard let environment = result.environment else {
            console.fail("\(result.file) is invalid")
            throw ExitCode(1)
        }
        return (loader, environment)
    }

    func resolve(_ environment: Environment) throws -> DesiredStateResolver.Resolution {
        do {
            return try DesiredStateResolver(variables: ProcessEnvironment.variables()).resolve(environment)
        } catch {
            for problem in error.problems { console.fail(problem) }
            throw ExitCode(1)
        }
    }

    func engine(for environment: Environment) throws -> DockerEngine {
        do {
            return DockerEngine(endpoint: try EngineEndpoint(parsing: environment.engine.host))
        } catch {
            console.fail(error.description)
            throw ExitCode(1)
        }
    }

    func observe(_ resolution: DesiredStateResolver.Resolution, engine: any ContainerEngine) async throws -> ObservedState {
        do {
            return try await Observer(engine: engine).observe(resolution)
        } catch {
            console.fail(error.description)
            throw ExitCode(1)
        }
    }

    /// The whole way to a desired and an observed state.
    func desiredAndObserved(_ name: String) async throws -> (DesiredStateResolver.Resolution, ObservedState) {
        let (_, environment) = try load(name)
        let resolution = try resolve(environment)
        let observed = try await observe(resolution, engine: try engine(for: environment))
        return (resolution, observed)
    }
}
