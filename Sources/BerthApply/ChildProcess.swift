import BerthCore
import Foundation

/// A program run to its end on the calling thread (a thread of its own, as `Blocking` says), with
/// empty standard input. At most one of its outputs is a pipe, read to its end before the wait, so a
/// chatty child can never block on a full pipe.
struct ChildProcess {
    var executable: String
    var arguments: [String]
    var environment: [String: String]

    struct Result {
        var status: Int32
        /// Standard error, at most its last 4 KiB.
        var errors: String

        var succeeded: Bool { status == 0 }
    }

    /// Runs with standard output into `output` (or nowhere), keeping standard error for a message.
    func run(output: Int32? = nil) throws(BackupError) -> Result {
        let errors = Pipe()
        let process = try launch(output: output.map { FileHandle(fileDescriptor: $0, closeOnDealloc: false) } ?? FileHandle.nullDevice, errors: errors)
        let text = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return Result(status: status, errors: String(decoding: text.suffix(4096), as: UTF8.self))
    }

    /// The standard output of a short run (`--version`, `--list`), nil when the program fails.
    func outputText() throws(BackupError) -> String? {
        let pipe = Pipe()
        let process = try launch(output: pipe, errors: FileHandle.nullDevice)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }

    private func launch(output: Any, errors: Any) throws(BackupError) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw BackupError("cannot run \(executable): \(error.localizedDescription)")
        }
        return process
    }
}

extension ChildProcess.Result {
    /// `pg_dump exited with 1: pg_dump: error: connection to server ... failed` (its last lines).
    func failure(_ tool: String) -> String {
        let lines = errors.split(separator: "\n").suffix(5).joined(separator: "; ")
        return "\(tool) exited with \(status)" + (lines.isEmpty ? "" : ": \(lines)")
    }
}
