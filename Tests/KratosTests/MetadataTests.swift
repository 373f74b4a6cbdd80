import Testing
@testable import Kratos

@Suite struct MetadataTests {
    @Test func serverTakesOnlyPrefixedHeadersLowerCased() {
        let headers: [(name: String, value: String)] = [
            ("X-Md-Global-Tenant", "acme"), ("x-md-local-caller", "web"), ("X-MD-trace", "1"),
            ("Authorization", "secret"), ("x-mdnot", "no"), ("x-md-", "empty-key"),
        ]
        let metadata = Metadata.extract(from: headers)
        #expect(metadata["x-md-global-tenant"] == "acme")
        #expect(metadata["X-MD-LOCAL-CALLER"] == "web")
        #expect(metadata["x-md-trace"] == "1")
        #expect(metadata["authorization"] == nil && metadata["x-mdnot"] == nil)
        #expect(metadata.count == 3)
    }

    @Test func clientPropagatesGlobalsButNotLocals() {
        let server: Metadata = ["x-md-global-tenant": "acme", "x-md-local-caller": "web", "x-md-trace": "1"]
        let client: Metadata = ["x-md-local-next": "svc-b"]
        let sent = Metadata.propagated(client: client, server: server)
        #expect(sent["x-md-global-tenant"] == "acme")
        #expect(sent["x-md-local-next"] == "svc-b")
        #expect(sent["x-md-local-caller"] == nil)
        #expect(sent["x-md-trace"] == nil)
    }

    @Test func clientValuesWinOverPropagatedGlobals() {
        let sent = Metadata.propagated(client: ["x-md-global-tenant": "override"], server: ["x-md-global-tenant": "acme"])
        #expect(sent.values("x-md-global-tenant") == ["override"])
    }

    @Test func multipleValues() {
        var metadata = Metadata()
        metadata.add("X-Md-List", "a")
        metadata.add("x-md-list", "b")
        #expect(metadata.values("x-md-list") == ["a", "b"])
        #expect(Array(metadata).map(\.value) == ["a", "b"])
    }

    // go-kratos metadata/metadata_test.go, TestMetadata_Set and TestMetadata_Add: keys lower-cased,
    // Set("", "") and Add("", "") leave the metadata empty, Add appends, Set replaces.
    @Test func setAndAddFollowGoKratos() {
        var metadata = Metadata()
        metadata["hello"] = "kratos"
        #expect(Array(metadata).map { "\($0.key)=\($0.value)" } == ["hello=kratos"])
        metadata["Env"] = "pro"
        #expect(Array(metadata).map { "\($0.key)=\($0.value)" } == ["env=pro", "hello=kratos"])
        metadata[""] = ""
        metadata[""] = "value"
        metadata.add("", "")
        metadata.add("", "value")
        #expect(metadata.count == 2)
        // Set with an empty value changes nothing (go-kratos cannot clear a key by Set); nil removes.
        metadata["hello"] = ""
        #expect(metadata["hello"] == "kratos")
        metadata["hello"] = nil
        #expect(metadata["hello"] == nil)
        metadata.add("hello", "kratos")
        metadata.add("HELLO", "again")
        metadata.add("hello", "")
        #expect(metadata.values("hello") == ["kratos", "again", ""])
        metadata["hello"] = "once"
        #expect(metadata.values("hello") == ["once"])
        // Literals go through add: an empty key is dropped there too.
        let literal: Metadata = ["": "x", "k": "v"]
        #expect(literal.count == 1)
    }
}
