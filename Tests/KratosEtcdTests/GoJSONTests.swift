import Foundation
import Kratos
@testable import KratosEtcd
import KratosTestSupport
import Testing

/// The registry value against what Go's `encoding/json` writes (outputs of `json.Marshal` on
/// go-kratos's `registry.ServiceInstance`, Go 1.22).
@Suite struct GoJSONTests {
    @Test func escapesAsGoDoes() throws {
        let instance = ServiceInstance(id: "q\"\\", name: "a\u{1}b\n\t\r\u{8}\u{c}", version: "é\u{2028}\u{2029}\u{7f}😀",
                                       metadata: ["b": "<&>", "a": "", "Z": "x", "é": "1"], endpoints: [])
        let expected = #"{"id":"q\"\\","name":"a\u0001b\n\t\r\b\f","version":"é\u2028\u2029"# + "\u{7f}😀" +
            #"","metadata":{"Z":"x","a":"","b":"\u003c\u0026\u003e","é":"1"},"endpoints":[]}"#
        #expect(GoJSON.encode(instance) == expected)
        #expect(try GoJSON.decode(Array(expected.utf8)) == instance)
    }

    @Test func readsWhatGoLeavesOutOrNulls() throws {
        let sparse = try GoJSON.decode(Array(#"{"id":"1","name":"s","metadata":null,"endpoints":null,"extra":{"x":[1]}}"#.utf8))
        #expect(sparse == ServiceInstance(id: "1", name: "s", version: "", endpoints: []))
        #expect(throws: (any Error).self) { try GoJSON.decode(Array(#"{"id":"1","metadata":{"weight":100}}"#.utf8)) }
        #expect(throws: (any Error).self) { try GoJSON.decode(Array("[]".utf8)) }
    }
}
