import Testing
@testable import KratosHTTP

@Suite struct PathTemplateTests {
    func captures(_ template: String, _ path: String) throws -> [String]? {
        try PathTemplate(template).match(path[...])?.map { "\($0.name)=\($0.value)" }
    }

    @Test(arguments: [
        ("/helloworld/{name}", "/helloworld/kratos", ["name=kratos"]),
        ("/helloworld/{name}", "/helloworld/a%20b", ["name=a b"]),
        ("/helloworld/{name}", "/helloworld/", nil),
        ("/helloworld/{name}", "/helloworld/a/b", nil),
        ("/helloworld/{name}", "/hello/kratos", nil),
        ("/v1/shelves/{shelf}/books/{book.id}", "/v1/shelves/s1/books/b2", ["shelf=s1", "book.id=b2"]),
        ("/v1/{name=shelves/*}", "/v1/shelves/s1", ["name=shelves/s1"]),
        ("/v1/{name=shelves/*}", "/v1/books/s1", nil),
        ("/v1/{name=shelves/*/books/*}", "/v1/shelves/s1/books/b2", ["name=shelves/s1/books/b2"]),
        ("/files/{path=**}", "/files/a/b/c.txt", ["path=a/b/c.txt"]),
        ("/files/{path=**}/meta", "/files/a/b/meta", ["path=a/b"]),
        ("/v1/*/items", "/v1/x/items", []),
        ("/v1/books/{id}:publish", "/v1/books/7:publish", ["id=7"]),
        ("/v1/books/{id}:publish", "/v1/books/7", nil),
        ("/v1/books", "/v1/books", []),
        ("/v1/books", "/v1/books/", nil),
        ("/", "/", []),
    ] as [(String, String, [String]?)])
    func matches(template: String, path: String, expected: [String]?) throws {
        #expect(try captures(template, path) == expected)
    }

    @Test(arguments: ["no-slash", "/a/{b", "/a/{}", "/a//b", "/a/{b}c"])
    func rejectsBadTemplates(template: String) {
        #expect(throws: PathTemplate.Error.self) { try PathTemplate(template) }
    }

    @Test func variablesInOrder() throws {
        #expect(try PathTemplate("/v1/{a}/x/{b.c=y/*}").variables == ["a", "b.c"])
    }
}
