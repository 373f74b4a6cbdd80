import Foundation
import Testing
@testable import KratosCLI

/// `kratos new --nomod`: a service added to an existing package.
@Suite struct NoModTests {
    @Test func addsTheServiceToThePackageAroundTheCurrentDirectory() throws {
        let sandbox = try Sandbox()
        #expect(try sandbox.kratos("new", "shop", "--no-git").status == 0)
        let shop = sandbox.work.appendingPathComponent("shop")
        let added = try run(Sandbox.kratosBinary, ["new", "billing", "--nomod", "--json"], in: shop.appendingPathComponent("Sources"),
                            environment: sandbox.environment)
        #expect(added.status == 0, "\(added.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(added.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(report["addedToPackage"] as? Bool == true)
        #expect(report["path"] as? String == shop.path)
        #expect(sandbox.exists("shop/Sources/Billing/Service/Greeter.swift"))
        #expect(sandbox.exists("shop/Sources/billing/main.swift"))
        #expect(sandbox.exists("shop/Tests/BillingTests/GreeterTests.swift"))
        #expect(sandbox.exists("shop/configs/billing/config.yaml"))
        #expect(sandbox.exists("shop/configs/config.yaml"))

        // The manifest SwiftPM reads has both services and the shared API target once.
        let dump = try run(URL(fileURLWithPath: "/usr/bin/env"), ["swift", "package", "dump-package"], in: shop, environment: sandbox.environment)
        #expect(dump.status == 0, "\(dump.stderr)")
        let package = try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any] ?? [:]
        let targets = (package["targets"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }.sorted()
        #expect(targets == ["API", "Billing", "BillingTests", "Shop", "ShopTests", "billing", "shop"])
        #expect((package["dependencies"] as? [Any])?.count == 3)

        // Again: the targets exist, so nothing changes.
        let manifest = try sandbox.read("shop/Package.swift")
        let again = try run(Sandbox.kratosBinary, ["new", "billing", "--nomod"], in: shop, environment: sandbox.environment)
        #expect(again.status == 1)
        #expect(again.stderr.contains("already has a target Billing"))
        #expect(try sandbox.read("shop/Package.swift") == manifest)
    }

    @Test func outsideAPackageIsAUsageError() throws {
        let sandbox = try Sandbox()
        let result = try sandbox.kratos("new", "billing", "--nomod")
        #expect(result.status == 2)
        #expect(result.stderr.contains("no Package.swift"))
        #expect(try sandbox.workContents().isEmpty)
    }
}
