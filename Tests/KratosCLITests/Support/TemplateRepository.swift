import Foundation

/// A real git repository holding a small Swift package template called `acme-template`, made
/// with the `git` command line:
/// - `main`: `VERSION` is `main-1`;
/// - tag `v1` on the first commit; branch `dev` with `VERSION` = `dev`;
/// - ``secondCommit``: `main` moved on to `main-2`.
struct TemplateRepository {
    let url: URL
    let firstCommit: String
    let secondCommit: String

    init(in sandbox: Sandbox, name: String = "template-repo") throws {
        url = sandbox.root.appendingPathComponent(name, isDirectory: true)
        try Self.writePackage(at: url, version: "main-1", sandbox: sandbox)
        try sandbox.git("init", "-q", url.path, in: sandbox.root)
        try sandbox.git("add", "-A", in: url)
        try sandbox.git("commit", "-q", "-m", "first", in: url)
        try sandbox.git("tag", "-a", "v1", "-m", "v1", in: url)
        firstCommit = try sandbox.git("rev-parse", "HEAD", in: url).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try sandbox.git("checkout", "-q", "-b", "dev", in: url)
        try sandbox.write("dev\n", to: url.appendingPathComponent("VERSION"))
        try sandbox.git("commit", "-q", "-am", "dev", in: url)
        try sandbox.git("checkout", "-q", "main", in: url)
        try sandbox.write("main-2\n", to: url.appendingPathComponent("VERSION"))
        try sandbox.git("commit", "-q", "-am", "second", in: url)
        secondCommit = try sandbox.git("rev-parse", "HEAD", in: url).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func writePackage(at url: URL, version: String, sandbox: Sandbox) throws {
        try sandbox.write("""
            // swift-tools-version:6.0
            import PackageDescription

            let package = Package(
                name: "acme-template",
                targets: [
                    .target(name: "AcmeTemplate"),
                    .executableTarget(name: "acme-template", dependencies: ["AcmeTemplate"]),
                ]
            )

            """, to: url.appendingPathComponent("Package.swift"))
        try sandbox.write("public enum AcmeTemplate { public static let id = \"acme_template\" }\n",
                          to: url.appendingPathComponent("Sources/AcmeTemplate/AcmeTemplate.swift"))
        try sandbox.write("import AcmeTemplate\nprint(AcmeTemplate.id)\n",
                          to: url.appendingPathComponent("Sources/acme-template/main.swift"))
        try sandbox.write("\(version)\n", to: url.appendingPathComponent("VERSION"))
        try sandbox.write("#!/bin/sh\necho acme-template\n", to: url.appendingPathComponent("Scripts/run.sh"))
        try FileManager.default.setAttributes([.posixPermissions: 0o755],
                                              ofItemAtPath: url.appendingPathComponent("Scripts/run.sh").path)
    }
}
