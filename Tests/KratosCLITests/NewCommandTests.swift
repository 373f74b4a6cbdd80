import Foundation
import Testing
@testable import KratosCLI

/// `kratos new` end to end: the built binary, real git repositories, real libgit2 clones, no network.
@Suite struct NewCommandTests {
    // MARK: Embedded template

    @Test func embeddedTemplateCreatesAGitProject() throws {
        let sandbox = try Sandbox()
        let result = try sandbox.kratos("new", "hello-world")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Created hello-world"))
        let manifest = try sandbox.read("hello-world/Package.swift")
        #expect(manifest.contains("name: \"hello-world\""))
        #expect(manifest.contains("name: \"HelloWorld\"") && manifest.contains("name: \"HelloWorldTests\""))
        #expect(!manifest.contains("kratos-layout") && !manifest.contains("KratosLayout"))
        #expect(sandbox.exists("hello-world/Sources/HelloWorld/Service/Greeter.swift"))
        #expect(sandbox.exists("hello-world/Sources/hello-world/main.swift"))
        #expect(sandbox.exists("hello-world/api/helloworld/v1/greeter.proto"))
        #expect(sandbox.exists("hello-world/Sources/API/helloworld/v1/greeter.pb.swift"))
        #expect(!sandbox.exists("hello-world/.kratos-dev"))
        // The runtime by local path: this test's kratos was built from a checkout.
        #expect(!manifest.contains(".kratos-dev") && manifest.contains("kratos-swift\")"))
        // A real, empty repository on `main`, made by libgit2 (not copied from anywhere).
        let git = try sandbox.git("symbolic-ref", "HEAD", in: sandbox.work.appendingPathComponent("hello-world"))
        #expect(git.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "refs/heads/main")
        let status = try sandbox.git("status", "--porcelain", in: sandbox.work.appendingPathComponent("hello-world"))
        #expect(status.stdout.contains("?? Package.swift"))
        #expect(try sandbox.workContents() == ["hello-world"])
    }

    @Test func noGitSkipsTheRepository() throws {
        let sandbox = try Sandbox()
        #expect(try sandbox.kratos("new", "plain", "--no-git").status == 0)
        #expect(sandbox.exists("plain/Package.swift"))
        #expect(!sandbox.exists("plain/.git"))
    }

    @Test func tildeExpandsToHome() throws {
        let sandbox = try Sandbox()
        let result = try sandbox.kratos("new", "~/projects/svc")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: sandbox.home.appendingPathComponent("projects/svc/Package.swift").path))
        #expect(try sandbox.workContents().isEmpty)
    }

    @Test func absolutePathNamesTheProjectByItsLastComponent() throws {
        let sandbox = try Sandbox()
        let target = sandbox.root.appendingPathComponent("elsewhere/api-gw")
        #expect(try sandbox.kratos("new", target.path).status == 0)
        let manifest = try String(contentsOf: target.appendingPathComponent("Package.swift"), encoding: .utf8)
        #expect(manifest.contains("name: \"api-gw\"") && manifest.contains("name: \"ApiGw\""))
    }

    // MARK: Output modes

    @Test func dryRunWritesNothing() throws {
        let sandbox = try Sandbox()
        let repo = try TemplateRepository(in: sandbox)
        let embedded = try sandbox.kratos("new", "ghost", "--dry-run")
        #expect(embedded.status == 0)
        #expect(embedded.stdout.contains("Sources/Ghost/Service/Greeter.swift"))
        let remote = try sandbox.kratos("new", "ghost", "--dry-run", "-r", repo.url.path, "-b", "v1")
        #expect(remote.status == 0, "\(remote.stderr)")
        #expect(remote.stdout.contains("Sources/Ghost/Ghost.swift"))
        #expect(try sandbox.workContents().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: sandbox.kratosHome.path))
    }

    @Test func jsonOutputParses() throws {
        let sandbox = try Sandbox()
        let result = try sandbox.kratos("new", "shop-api", "--json")
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["name"] as? String == "shop-api")
        #expect(object["module"] as? String == "ShopApi")
        #expect(object["c99Name"] as? String == "shop_api")
        #expect(object["path"] as? String == sandbox.work.appendingPathComponent("shop-api").path)
        #expect(object["git"] as? Bool == true)
        #expect(object["dryRun"] as? Bool == false)
        #expect((object["files"] as? [String])?.contains("Package.swift") == true)
        #expect((object["template"] as? [String: Any])?["kind"] as? String == "embedded")
        #expect(object["runtime"] as? String == "local")
    }

    @Test func theRuntimeDependencyIsChosenByKratosRuntime() throws {
        let sandbox = try Sandbox()
        #expect(try sandbox.kratos("new", "far", "--no-git", environment: ["KRATOS_RUNTIME": "remote"]).status == 0)
        let remote = try sandbox.read("far/Package.swift")
        #expect(remote.contains(#".package(url: "https://github.com/go-kratos/kratos-swift.git", from: "\#(KratosCommand.version)")"#))
        #expect(try sandbox.kratos("new", "near", "--no-git").status == 0)
        let local = try sandbox.read("near/Package.swift")
        // SwiftPM names a path dependency after its directory: kratos-swift, a link to the checkout.
        let link = sandbox.kratosHome.appendingPathComponent("runtime/kratos-swift")
        #expect(local.contains(#".package(path: "\#(link.path)")"#) || local.contains(#"/kratos-swift")"#))
        let bad = try sandbox.kratos("new", "odd", environment: ["KRATOS_RUNTIME": sandbox.root.path])
        #expect(bad.status == 1 && bad.stderr.contains("is not a kratos-swift checkout"))
        #expect(!sandbox.exists("odd"))
    }

    @Test func forceReplacesAnExistingProject() throws {
        let sandbox = try Sandbox()
        try sandbox.write("mine\n", to: sandbox.work.appendingPathComponent("taken/notes.txt"))
        let refused = try sandbox.kratos("new", "taken")
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("already exists") && refused.stderr.contains("--force"))
        #expect(try sandbox.read("taken/notes.txt") == "mine\n")
        let forced = try sandbox.kratos("new", "taken", "--force")
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(!sandbox.exists("taken/notes.txt"))
        #expect(sandbox.exists("taken/Package.swift"))
        #expect(try sandbox.workContents() == ["taken"])
    }

    @Test func forceNeverReplacesTheCurrentDirectory() throws {
        let sandbox = try Sandbox()
        let result = try run(Sandbox.kratosBinary, ["new", sandbox.work.path, "--force"], in: sandbox.work,
                             environment: sandbox.environment)
        #expect(result.status == 2)
        #expect(result.stderr.contains("current directory"))
        #expect(FileManager.default.fileExists(atPath: sandbox.work.path))
    }

    @Test func anEmptyDestinationDirectoryIsFilled() throws {
        let sandbox = try Sandbox()
        try FileManager.default.createDirectory(at: sandbox.work.appendingPathComponent("empty"), withIntermediateDirectories: false)
        #expect(try sandbox.kratos("new", "empty").status == 0)
        #expect(sandbox.exists("empty/Package.swift"))
    }

    // MARK: Remote templates

    @Test func localPathAndFileURLAreCloned() throws {
        let sandbox = try Sandbox()
        let repo = try TemplateRepository(in: sandbox)
        for (name, address) in [("from-path", repo.url.path), ("from-url", "file://" + repo.url.path)] {
            let result = try sandbox.kratos("new", name, "-r", address)
            #expect(result.status == 0, "\(address): \(result.stderr)")
            let module = name == "from-path" ? "FromPath" : "FromUrl"
            let c99 = name.replacingOccurrences(of: "-", with: "_")
            #expect(try sandbox.read("\(name)/Package.swift").contains("name: \"\(name)\""))
            #expect(try sandbox.read("\(name)/Sources/\(module)/\(module).swift").contains("enum \(module)"))
            #expect(try sandbox.read("\(name)/Sources/\(module)/\(module).swift").contains("\"\(c99)\""))
            #expect(try sandbox.read("\(name)/VERSION") == "main-2\n")
            let mode = try FileManager.default.attributesOfItem(atPath: sandbox.work.appendingPathComponent("\(name)/Scripts/run.sh").path)[.posixPermissions] as? Int
            #expect(mode == 0o755)
            // The project's .git is new: the template's history is not copied.
            let log = try run(URL(fileURLWithPath: "/usr/bin/git"), ["log"], in: sandbox.work.appendingPathComponent(name), environment: sandbox.environment)
            #expect(log.status != 0)
        }
        #expect(FileManager.default.fileExists(atPath: sandbox.kratosHome.appendingPathComponent("repo/local" + repo.url.path + "@HEAD").path))
    }

    @Test func branchTagAndCommitSelectTheContents() throws {
        let sandbox = try Sandbox()
        let repo = try TemplateRepository(in: sandbox)
        for (ref, version) in [("dev", "dev"), ("v1", "main-1"), (repo.firstCommit, "main-1"), (String(repo.secondCommit.prefix(10)), "main-2"), ("main", "main-2")] {
            let name = "p\(ref.prefix(6))"
            let result = try sandbox.kratos("new", name, "-r", repo.url.path, "-b", ref, "--json")
            #expect(result.status == 0, "-b \(ref): \(result.stderr)")
            #expect(try sandbox.read("\(name)/VERSION") == version + "\n", "-b \(ref)")
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            let commit = (object?["template"] as? [String: Any])?["commit"] as? String
            #expect(commit?.count == 40)
        }
    }

    @Test func aTagIsReusedFromTheCacheWithoutTheSource() throws {
        let sandbox = try Sandbox()
        let repo = try TemplateRepository(in: sandbox)
        #expect(try sandbox.kratos("new", "first", "-r", repo.url.path, "-b", "v1").status == 0)
        try FileManager.default.removeItem(at: repo.url)
        let again = try sandbox.kratos("new", "second", "-r", repo.url.path, "-b", "v1", "--json")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(!again.stderr.contains("warning"))
        #expect(try sandbox.read("second/VERSION") == "main-1\n")
        let object = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any]
        #expect((object?["template"] as? [String: Any])?["fetched"] as? Bool == false)
    }

    @Test func aBranchFallsBackToTheCacheWithAWarning() throws {
        let sandbox = try Sandbox()
        let repo = try TemplateRepository(in: sandbox)
        #expect(try sandbox.kratos("new", "first", "-r", "file://" + repo.url.path, "-b", "dev").status == 0)
        try FileManager.default.removeItem(at: repo.url)
        let again = try sandbox.kratos("new", "second", "-r", "file://" + repo.url.path, "-b", "dev")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("warning:") && again.stderr.contains("cached copy"))
        #expect(try sandbox.read("second/VERSION") == "dev\n")
    }

    @Test func aBranchIsRefreshedWhenTheSourceMovesOn() throws {
        let sandbox = try Sandbox()
        let repo = try TemplateRepository(in: sandbox)
        #expect(try sandbox.kratos("new", "before", "-r", repo.url.path).status == 0)
        try sandbox.write("main-3\n", to: repo.url.appendingPathComponent("VERSION"))
        try sandbox.git("commit", "-q", "-am", "third", in: repo.url)
        #expect(try sandbox.kratos("new", "after", "-r", repo.url.path).status == 0)
        #expect(try sandbox.read("before/VERSION") == "main-2\n")
        #expect(try sandbox.read("after/VERSION") == "main-3\n")
    }

    @Test func aPlainDirectoryServesAsATemplate() throws {
        let sandbox = try Sandbox()
        let dir = sandbox.root.appendingPathComponent("plain-template")
        try TemplateRepository.writePackage(at: dir, version: "dir", sandbox: sandbox)
        let result = try sandbox.kratos("new", "from-dir", "-r", dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try sandbox.read("from-dir/VERSION") == "dir\n")
        let withRef = try sandbox.kratos("new", "other", "-r", dir.path, "-b", "main")
        #expect(withRef.status == 2)
    }

    // MARK: Errors

    /// Each case: arguments, expected status, a word the message must contain.
    @Test(arguments: [
        (["new", ""], 2, "empty"),
        (["new", "../escape"], 2, ".."),
        (["new", "~"], 2, "home directory"),
        (["new", "9lives"], 2, "Swift identifier"),
        (["new", "bad name"], 2, "Swift identifier"),
        (["new", "x", "-b", "v1"], 2, "embedded template"),
        (["new", "x", "-r", "ftp://example.com/t"], 2, "scheme"),
        (["new", "x", "-t", "soon"], 2, "timeout"),
        (["new"], 2, "project name"),
        (["new", "x", "-r", "file:///nonexistent/template"], 1, "could not clone"),
        (["new", "x", "-r", "/nonexistent/template", "-b", "v9"], 1, "could not clone"),
    ])
    func errorsExitWithTheirCodeAndLeaveNothing(arguments: [String], status: Int32, word: String) throws {
        let sandbox = try Sandbox()
        let result = try run(Sandbox.kratosBinary, arguments, in: sandbox.work, environment: sandbox.environment)
        #expect(result.status == status, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains(word), "\(arguments): \(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(try sandbox.workContents().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: sandbox.kratosHome.appendingPathComponent("repo").path))
    }

    @Test func anUnknownRefFailsAndLeavesNothing() throws {
        let sandbox = try Sandbox()
        let repo = try TemplateRepository(in: sandbox)
        let result = try sandbox.kratos("new", "x", "-r", repo.url.path, "-b", "no-such-ref")
        #expect(result.status == 1)
        #expect(result.stderr.contains("no-such-ref") && result.stderr.contains("fix:"))
        #expect(try sandbox.workContents().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: sandbox.kratosHome.appendingPathComponent("repo").path))
    }

    @Test func aTemplateThatIsNotASwiftPackageFails() throws {
        let sandbox = try Sandbox()
        let dir = sandbox.root.appendingPathComponent("not-a-package")
        try sandbox.write("hi\n", to: dir.appendingPathComponent("README.md"))
        try sandbox.git("init", "-q", dir.path, in: sandbox.root)
        try sandbox.git("add", "-A", in: dir)
        try sandbox.git("commit", "-q", "-m", "readme", in: dir)
        let result = try sandbox.kratos("new", "x", "-r", dir.path)
        #expect(result.status == 1)
        #expect(result.stderr.contains("Package.swift"))
        #expect(try sandbox.workContents().isEmpty)
    }
}
