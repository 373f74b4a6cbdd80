import Foundation
import Testing
@testable import KratosCLI

@Suite struct TemplateRendererTests {
    let project = try! ProjectName("hello-world", environment: Environment(variables: [:], currentDirectory: URL(fileURLWithPath: "/w")))

    @Test func readsThePackageNameFromTheManifest() throws {
        let manifest = TemplateFile(path: "Package.swift", contents: Array("""
            // swift-tools-version:6.0
            let package = Package(
                name: "kratos-layout",
                targets: []
            )
            """.utf8))
        #expect(try TemplateRenderer.packageName(in: [manifest], template: "t") == "kratos-layout")
    }

    @Test func templateWithoutManifestIsAFailure() {
        #expect(throws: CLIError.self) {
            try TemplateRenderer.packageName(in: [TemplateFile(path: "README.md", contents: [])], template: "t")
        }
    }

    @Test func replacesEveryFormInContentsAndPaths() throws {
        let renderer = TemplateRenderer(templateName: "kratos-layout", project: project)
        let files = try renderer.render([
            TemplateFile(path: "Sources/KratosLayoutKit/kratos_layout.swift",
                         contents: Array("import KratosLayoutKit // kratos-layout kratos_layout KRATOS-LAYOUT".utf8)),
            TemplateFile(path: "Sources/kratos-layout/main.swift", mode: .executable, contents: Array("kratos-layoutkratos-layout".utf8)),
        ])
        #expect(files[0].path == "Sources/HelloWorldKit/hello_world.swift")
        #expect(String(decoding: files[0].contents, as: UTF8.self) == "import HelloWorldKit // hello-world hello_world KRATOS-LAYOUT")
        #expect(files[1].path == "Sources/hello-world/main.swift")
        #expect(files[1].mode == .executable)
        #expect(String(decoding: files[1].contents, as: UTF8.self) == "hello-worldhello-world")
    }

    @Test func replacedTextIsNotScannedAgain() throws {
        // The project name contains the template name; a naive loop would never end or double it.
        let project = try ProjectName("app-app", environment: Environment(variables: [:], currentDirectory: URL(fileURLWithPath: "/w")))
        let renderer = TemplateRenderer(templateName: "app", project: project)
        #expect(renderer.replace(Array("app App".utf8)) == Array("app-app AppApp".utf8))
    }

    @Test func binaryFilesAreCopiedUnchanged() throws {
        let bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0] + Array("kratos-layout".utf8)
        let renderer = TemplateRenderer(templateName: "kratos-layout", project: project)
        let files = try renderer.render([TemplateFile(path: "logo.png", contents: bytes)])
        #expect(files[0].contents == bytes)
    }

    @Test func pathsCannotEscapeTheProject() {
        let renderer = TemplateRenderer(templateName: "kratos-layout", project: project)
        #expect(throws: CLIError.self) {
            try renderer.render([TemplateFile(path: "../evil", contents: [])])
        }
    }
}

@Suite struct TemplateLocationTests {
    let environment = Environment(variables: ["HOME": "/home/ann", "KRATOS_HOME": "/kh"], currentDirectory: URL(fileURLWithPath: "/nonexistent-cwd"))

    func remote(_ raw: String) throws -> GitRemote {
        guard case .git(let remote) = try TemplateLocation.parse(raw, environment: environment) else {
            throw TestFailure("\(raw) is not a git location")
        }
        return remote
    }

    @Test(arguments: [
        ("https://github.com/go-kratos/kratos-layout.git", "main", "/kh/repo/github.com/go-kratos/kratos-layout@main"),
        ("https://user@git.example.com:8443/team/svc/", nil, "/kh/repo/git.example.com_8443/team/svc@HEAD"),
        ("ssh://git@github.com/acme/tpl.git", "v1.0.0", "/kh/repo/github.com/acme/tpl@v1.0.0"),
        ("git@github.com:acme/tpl.git", "feature/x", "/kh/repo/github.com/acme/tpl@feature_x"),
        ("file:///srv/templates/tpl", nil, "/kh/repo/local/srv/templates/tpl@HEAD"),
        ("/srv/gone/tpl", "v2", "/kh/repo/local/srv/gone/tpl@v2"),
        ("~/tpl", nil, "/kh/repo/local/home/ann/tpl@HEAD"),
    ] as [(String, String?, String)])
    func cacheDirectories(raw: String, ref: String?, cache: String) throws {
        #expect(try remote(raw).cacheDirectory(kratosHome: environment.kratosHome, ref: ref).path == cache)
    }

    @Test func libgit2GetsTheAddressAsGiven() throws {
        #expect(try remote("git@github.com:acme/tpl.git").url == "git@github.com:acme/tpl.git")
        #expect(try remote("~/tpl").url == "/home/ann/tpl")
    }

    @Test(arguments: ["", "ftp://host/x", "file://relative/x", "https://host/"])
    func badAddressesAreUsageErrors(raw: String) {
        #expect {
            try TemplateLocation.parse(raw, environment: environment)
        } throws: { ($0 as? CLIError)?.kind == .usage }
    }
}
