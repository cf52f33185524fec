import ArgumentParser
import BerthSession

/// `--override-window --reason TEXT`, for the commands that check the deployment window.
struct WindowOverrideOptions: ParsableArguments {
    @Flag(name: .long, help: "Go ahead although the deployment window is closed (recorded in berth history; needs --reason).")
    var overrideWindow = false

    @Option(name: .long, help: ArgumentHelp("Why the window is overridden, for the history.", valueName: "text"))
    var reason: String?

    func validate() throws {
        if overrideWindow, reason?.trimmingCharacters(in: .whitespaces).isEmpty ?? true {
            throw ValidationError("--override-window needs --reason TEXT: why the change cannot wait for the window")
        }
        if !overrideWindow, reason != nil {
            throw ValidationError("--reason goes with --override-window")
        }
    }

    var override: WindowOverride? { overrideWindow ? reason.map(WindowOverride.init(reason:)) : nil }
}
