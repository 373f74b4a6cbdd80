import Foundation
import Testing
@testable import KratosCLI

@Suite struct ProjectNameTests {
    let environment = Environment(variables: ["HOME": "/home/ann"], currentDirectory: URL(fileURLWithPath: "/work"))

    @Test(arguments: [
        ("helloworld", "helloworld", "Helloworld", "helloworld", "/work/helloworld"),
        ("hello-world", "hello-world", "HelloWorld", "hello_world", "/work/hello-world"),
        ("hello_world", "hello_world", "HelloWorld", "hello_world", "/work/hello_world"),
        ("my.svc2", "my.svc2", "MySvc2", "my_svc2", "/work/my.svc2"),
        ("orderService", "orderService", "OrderService", "orderService", "/work/orderService"),
        ("/srv/apps/billing", "billing", "Billing", "billing", "/srv/apps/billing"),
        ("~/code/shop", "shop", "Shop", "shop", "/home/ann/code/shop"),
        ("nested/dir/api-gw/", "api-gw", "ApiGw", "api_gw", "/work/nested/dir/api-gw"),
    ])
    func derivesNames(raw: String, package: String, module: String, c99: String, path: String) throws {
        let name = try ProjectName(raw, environment: environment)
        #expect(name.packageName == package)
        #expect(name.moduleName == module)
        #expect(name.c99Name == c99)
        #expect(name.directory.path == path)
    }

    @Test(arguments: ["", "  ", "~", "~/", "~bob/x", "..", "../x", "a/../b", ".", "/", "1app", "-x", "héllo", "a b", "self", "Swift", "class"])
    func rejectsAsUsageError(raw: String) {
        #expect {
            try ProjectName(raw, environment: environment)
        } throws: { error in
            (error as? CLIError)?.kind == .usage && (error as? CLIError)?.fix != nil
        }
    }
}

@Suite struct DurationArgumentTests {
    @Test(arguments: [("60", 60.0), ("60s", 60), ("2m", 120), ("1m30s", 90), ("500ms", 0.5), ("1h", 3600), ("1.5s", 1.5)])
    func parses(text: String, seconds: Double) throws {
        let duration = try #require(DurationArgument(argument: text)).duration
        #expect(duration == .milliseconds(Int64(seconds * 1000)))
    }

    @Test(arguments: ["", "abc", "10x", "0", "-5", "s"])
    func rejects(text: String) {
        #expect(DurationArgument(argument: text) == nil)
    }
}
