import Foundation
import Logging
import Synchronization
import Testing
@testable import Kratos

@Suite struct LogTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var output: LogOutput { LogOutput { line in self.lines.withLock { $0.append(line) } } }
        var all: [String] { lines.withLock { $0 } }
    }

    @Test func logfmtShape() throws {
        let lines = Lines()
        let logger = Logger(label: "t") { _ in KratosLogHandler(format: .logfmt, output: lines.output) }
        logger.info("user created", metadata: ["user.id": "42", "note": "a b=c"])
        let line = try #require(lines.all.first)
        #expect(line.hasPrefix("level=INFO ts="))
        #expect(line.contains(" caller=LogTests.swift:"))
        #expect(line.contains(#" msg="user created""#))
        #expect(line.hasSuffix(#" note="a b=c" user.id=42"#))
        let ts = line.split(separator: " ")[1].dropFirst(3)
        #expect(try Date(String(ts), strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)) <= Date())
    }

    @Test func jsonShape() throws {
        let lines = Lines()
        let logger = Logger(label: "t") { _ in KratosLogHandler(format: .json, output: lines.output, level: .debug) }
        logger.warning("slow", metadata: ["latency": "1.5", "quote": "\"x\""])
        logger.trace("dropped below the handler's level")
        #expect(lines.all.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines.all[0].utf8)) as? [String: String])
        #expect(object["level"] == "WARN" && object["msg"] == "slow" && object["latency"] == "1.5" && object["quote"] == "\"x\"")
        #expect(object["ts"] != nil && object["caller"]?.hasPrefix("LogTests.swift:") == true)
    }

    @Test func valuersAreEvaluatedOnEveryCall() {
        let lines = Lines()
        let counter = Mutex(0)
        let provider = Logger.MetadataProvider.multiplex([
            .service(AppInfo(id: "id-1", name: "greeter", version: "v1")),
            .valuer("trace.id") { counter.withLock { $0 += 1; return "t\($0)" } },
        ])
        let logger = Logger(label: "t") { _ in KratosLogHandler(output: lines.output, metadataProvider: provider) }
        logger.info("one")
        logger.info("two")
        #expect(lines.all[0].contains("service.id=id-1 service.name=greeter service.version=v1 trace.id=t1"))
        #expect(lines.all[1].contains("trace.id=t2"))
    }

    @Test func filterMasksKeysAndValuesAndDropsLevels() {
        let lines = Lines()
        let logger = Logger(label: "t") { _ in
            FilteringLogHandler(KratosLogHandler(output: lines.output, level: .trace), minimumLevel: .warning,
                                maskedKeys: ["password"], maskedValues: ["hunter2-token"])
        }
        logger.info("dropped", metadata: ["password": "x"])
        logger.error("login failed", metadata: ["password": "hunter2", "user": "ann", "token": "hunter2-token"])
        #expect(lines.all.count == 1)
        #expect(lines.all[0].contains("password=*** token=*** user=ann"))
        #expect(!lines.all[0].contains("hunter2"))
    }

    @Test func handlerFromConfiguration() throws {
        let lines = Lines()
        let configuration = try ConfigDecoder().decode(KratosLogging.Configuration.self, from: .map([
            "level": .string("warn"), "format": .string("json"), "mask": .array([.string("secret")]),
        ]))
        #expect(configuration.logLevel == .warning)
        let logger = Logger(label: "t") { _ in
            KratosLogging.handler(configuration, app: AppInfo(id: "i", name: "n", version: "v"), output: lines.output)
        }
        logger.info("dropped")
        logger.warning("kept", metadata: ["secret": "s"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines.all[0].utf8)) as? [String: String])
        #expect(lines.all.count == 1 && object["secret"] == "***" && object["service.name"] == "n")
    }

    @Test func timestampIsUTCWithMilliseconds() throws {
        let before = Date()
        let stamp = LogTimestamp.now().text
        let after = Date()
        #expect(stamp.utf8.count == 24 && stamp.hasSuffix("Z"))
        let parsed = try Date(stamp, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true))
        #expect(parsed >= before.addingTimeInterval(-0.001) && parsed <= after)
    }

    /// The date worked out from the day count is gmtime_r's, from 1800 to 2300, across leap
    /// days, century years and the epoch.
    @Test func timestampDateIsTheCLibrarys() {
        var instants = [-1, 0, 59, 86_399, 86_400, 951_782_400, 951_868_799, 951_868_800, 4_107_542_399, 4_107_542_400]
        instants += stride(from: -5_364_662_400, through: 10_413_792_000, by: 9_999_991).map { $0 }
        for seconds in instants {
            var time = time_t(seconds)
            var parts = tm()
            gmtime_r(&time, &parts)
            let stamp = LogTimestamp(secondsSince1970: seconds)
            let expected = [Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec)]
            #expect([stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second] == expected, "\(seconds)")
        }
        #expect(LogTimestamp(secondsSince1970: 951_782_400, millisecond: 7).text == "2000-02-29T00:00:00.007Z")
    }

    @Test func latencyIsSecondsToTheNanosecond() {
        #expect(LoggingMiddleware.seconds(.microseconds(170)) == "0.000170000")
        #expect(LoggingMiddleware.seconds(.seconds(2) + .nanoseconds(5)) == "2.000000005")
        #expect(LoggingMiddleware.seconds(.zero) == "0.000000000")
        #expect(LoggingMiddleware.seconds(.milliseconds(-1500)) == "-1.500000000")
        let elapsed = Duration.nanoseconds(123_456_789_012)
        #expect(Double(LoggingMiddleware.seconds(elapsed)) == 123.456789012)
    }

    @Test func laterSourcesWinAndKeysAreSorted() {
        var fields = LogFields(["b": "handler", "a": "handler"])
        fields.add(["b": "provider", "c": "provider"])
        fields.add("a", "call")
        let sorted = fields.sorted()
        #expect(sorted.map(\.key) == ["a", "b", "c"])
        #expect(sorted.map { KratosLogHandler.text($0.value) } == ["call", "provider", "provider"])
    }

    @Test func unbufferedOutputWritesWholeLines() throws {
        var descriptors: [Int32] = [0, 0]
        #expect(pipe(&descriptors) == 0)
        defer { close(descriptors[0]) }
        let output = LogOutput.unbuffered(descriptors[1])
        output.write(Array("level=INFO msg=one".utf8), false)
        output.write(Array(repeating: UInt8(ascii: "x"), count: 3000), false)
        close(descriptors[1])
        let read = FileHandle(fileDescriptor: descriptors[0]).readDataToEndOfFile()
        #expect(String(decoding: read, as: UTF8.self) == "level=INFO msg=one\n" + String(repeating: "x", count: 3000) + "\n")
    }

    /// What a pipe holds now, without waiting.
    func available(_ descriptor: Int32) -> String {
        var bytes: [UInt8] = []
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        var chunk = [UInt8](repeating: 0, count: 65536)
        while poll(&poller, 1, 0) == 1 {
            let count = read(descriptor, &chunk, chunk.count)
            guard count > 0 else { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func batchedOutputHoldsLinesForItsDelayAndWritesErrorsAtOnce() async throws {
        var descriptors: [Int32] = [0, 0]
        #expect(pipe(&descriptors) == 0)
        defer { close(descriptors[0]); close(descriptors[1]) }
        let output = LogOutput.batched(descriptors[1], delay: .milliseconds(300))
        output.write(Array("one".utf8), false)
        output.write(Array("two".utf8), false)
        #expect(available(descriptors[0]) == "", "held for the delay")
        try await Task.sleep(for: .milliseconds(900))
        #expect(available(descriptors[0]) == "one\ntwo\n", "written together once the delay passed")

        // An error goes out at once, after what was held before it.
        output.write(Array("three".utf8), false)
        output.write(Array("level=ERROR four".utf8), true)
        #expect(available(descriptors[0]) == "three\nlevel=ERROR four\n")

        // Past 64 KiB held, the batch leaves without waiting; flushNow writes the rest.
        let long = [UInt8](repeating: UInt8(ascii: "y"), count: 1023)
        for _ in 0..<70 { output.write(long, false) }
        let early = available(descriptors[0])
        #expect(early.utf8.count >= 64 * 1024, "the line that reached 64 KiB wrote the batch")
        output.flushNow()
        #expect(early.utf8.count + available(descriptors[0]).utf8.count == 70 * 1024)
    }

    /// A line is written into storage sized for most lines; a longer one is written again into
    /// storage that fits, whole, in both formats, with control characters escaped.
    @Test func longLinesAndEscapesAreWrittenWhole() throws {
        let lines = Lines()
        let long = String(repeating: "x", count: 5000)
        for format in [KratosLogHandler.Format.logfmt, .json] {
            let logger = Logger(label: "t") { _ in KratosLogHandler(format: format, output: lines.output) }
            logger.info("tab\there", metadata: ["long": "\(long)", "bell": "a\u{7}b", "plain": "ok"])
        }
        #expect(lines.all.count == 2)
        #expect(lines.all[0].hasSuffix(#" msg="tab\there" bell="a\u0007b" long=\#(long) plain=ok"#))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines.all[1].utf8)) as? [String: String])
        #expect(object["long"] == long && object["bell"] == "a\u{7}b" && object["msg"] == "tab\there")
    }

    /// Masks set after the handler's metadata apply to it too.
    @Test func masksSetLaterApplyToTheHandlersOwnFields() {
        let lines = Lines()
        var handler = FilteringLogHandler(KratosLogHandler(output: lines.output))
        handler.metadata = ["token": "hunter2", "service.name": "greeter"]
        handler.maskedKeys = ["token"]
        let logger = Logger(label: "t") { _ in handler }
        logger.log(.info, "server request", sorted: [("code", "200")])
        #expect(lines.all.count == 1)
        #expect(lines.all[0].hasSuffix("code=200 service.name=greeter token=***"))
    }
}

extension LogOutput {
    /// One line, given without its newline, as the handler writes it.
    func write(_ line: [UInt8], _ urgent: Bool) {
        line.withUnsafeBytes { writeLine($0, urgent) }
    }
}
