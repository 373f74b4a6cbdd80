import Foundation

/// Where a log handler writes, one line at a time.
public struct LogOutput: Sendable {
    let write: @Sendable (String) -> Void

    /// Lines go to `write`, e.g. to capture them.
    public init(_ write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    /// Each line, with its newline, in one `write(2)`: lines from several threads never interleave.
    public static let standardOutput = fileDescriptor(STDOUT_FILENO)
    public static let standardError = fileDescriptor(STDERR_FILENO)

    static func fileDescriptor(_ descriptor: Int32) -> LogOutput {
        LogOutput { line in
            var line = line
            line.append("\n")
            line.withUTF8 { bytes in
                var rest = UnsafeRawBufferPointer(bytes)
                while !rest.isEmpty {
                    let written = Foundation.write(descriptor, rest.baseAddress, rest.count)
                    if written > 0 {
                        rest = UnsafeRawBufferPointer(rebasing: rest[written...])
                    } else if written < 0, errno == EINTR {
                        continue
                    } else {
                        return  // a closed or full stream: the line is dropped, the service goes on
                    }
                }
            }
        }
    }
}
