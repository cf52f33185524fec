import ArgumentParser
import BerthCore
import BerthSession

/// `berth approve --env NAME PLANFILE`: records an approval of a saved plan in the environment's history.
struct ApproveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve a saved plan (from berth plan --out) for an environment whose policy asks for approval.",
        discussion: "The approval names the plan's fingerprint and who approved it; berth history shows it. Exit codes: 0, 1."
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var environmentOption: EnvironmentOption
    var env: String { environmentOption.env }

    @Argument(help: ArgumentHelp("The saved plan.", valueName: "planfile"))
    var planFile: String

    func run() throws {
        let console = CommandContext.console(global)
        let context = CommandContext.make(global, console: console)
        do throws(SessionError) {
            let text: [UInt8]
            do throws(FileSystemError) {
                text = try context.fileSystem.readFile(atPath: planFile)
            } catch {
                throw SessionError("cannot read the saved plan \(planFile): \(error.reason)")
            }
            let approval = try Approvals.approve(environment: env, plan: planFile, text: text, context: context)
            console.output(
                "Approved plan \(approval.fingerprint) for \(env) as \(approval.approver.user)@\(approval.approver.host); "
                    + "apply it with berth apply --env \(env) --plan \(planFile)\n"
            )
        } catch {
            throw error.report(on: console)
        }
    }
}
