import ArgumentParser
import Foundation
import KratosTemplates

/// `kratos new NAME`: creates a service project from a template.
struct New: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a service project from a template.",
        discussion: """
            With no -r, the template compiled into kratos is used: no network needed. Otherwise the \
            template is cloned through libgit2 into $KRATOS_HOME/repo/<host>/<path>@<ref> \
            (KRATOS_HOME defaults to ~/.kratos). A tag or commit in -b is reused from that cache \
            without contacting the remote; a branch is fetched, and when that fails the cached copy is \
            used with a warning.

            The template's package name (from its Package.swift) is replaced by NAME in file contents \
            and paths: `hello-world` gives the package `hello-world`, modules `HelloWorld`, and the C99 \
            form `hello_world`.

            With --nomod, the service is added to the Swift package around the current directory: \
            its sources, tests and protos beside the existing ones, its configuration in configs/NAME, \
            its targets and missing dependencies in Package.swift. Nothing is changed when a file \
            would be replaced or the manifest has no plain `dependencies:`/`targets:` arrays.

            Examples:
              kratos new helloworld
              kratos new ~/src/billing --no-git
              kratos new shop -r https://github.com/acme/kratos-template.git -b v1.2.0
              kratos new shop -r ../my-template --dry-run --json
            """
    )

    @Argument(help: ArgumentHelp("Project name or path; the last component names the project.", valueName: "name"))
    var name: String?

    @Option(name: [.short, .customLong("repo")], help: "Template repository: https, ssh, git@host:org/repo, file:// or a local path.")
    var repo: String?

    @Option(name: .shortAndLong, help: "Branch, tag or commit of the template repository.")
    var branch: String?

    @Option(name: .shortAndLong, help: "Time allowed for cloning, e.g. 60s, 2m, 1m30s.")
    var timeout: DurationArgument = DurationArgument(.seconds(60), text: "60s")

    @Flag(help: "Replace an existing destination.")
    var force = false

    @Flag(help: "Show what would be created and write nothing.")
    var dryRun = false

    @Flag(name: .customLong("no-git"), help: "Do not initialise a git repository in the project.")
    var noGit = false

    @Flag(help: "Print the result as JSON on stdout.")
    var json = false

    @Flag(help: "Add the service to the Swift package around the current directory instead of creating one.")
    var nomod = false

    func run() throws {
        let environment = Environment()
        let report = try NewProject(
            name: try projectName(environment),
            repo: repo, branch: branch, timeout: timeout.duration,
            force: force, dryRun: dryRun, git: !noGit, nomod: nomod
        ).run(environment: environment)
        for warning in report.warnings {
            environment.terminal.warn(warning)
        }
        if json {
            environment.terminal.line(try report.json())
        } else {
            report.printHuman(on: environment.terminal)
        }
    }

    /// NAME, asked for on a TTY when missing; without a TTY a missing NAME is a usage error.
    private func projectName(_ environment: Environment) throws -> String {
        if let name { return name }
        guard environment.terminal.stdinIsTTY, !json else {
            throw CLIError.usage("missing the project name", fix: "run `kratos new NAME`")
        }
        environment.terminal.write("Project name: ")
        return readLine() ?? ""
    }
}

/// The work of `kratos new`, independent of argument parsing.
public struct NewProject: Sendable {
    public var name: String
    public var repo: String?
    public var branch: String?
    public var timeout: Duration
    public var force: Bool
    public var dryRun: Bool
    public var git: Bool
    /// Add the service to the package around the current directory (`--nomod`).
    public var nomod: Bool

    public init(name: String, repo: String? = nil, branch: String? = nil, timeout: Duration = .seconds(60),
                force: Bool = false, dryRun: Bool = false, git: Bool = true, nomod: Bool = false) {
        self.name = name
        self.repo = repo
        self.branch = branch
        self.timeout = timeout
        self.force = force
        self.dryRun = dryRun
        self.git = git
        self.nomod = nomod
    }

    /// Validates everything that needs no template first, then loads, renders and writes.
    public func run(environment: Environment) throws -> NewReport {
        let project = try ProjectName(name, environment: environment)
        let destination = project.directory
        let package = nomod ? ProjectRoot.find(from: environment.currentDirectory) : nil
        if nomod, package == nil {
            throw CLIError.usage("--nomod adds a service to an existing package, and there is no Package.swift in \(environment.currentDirectory.path) or its parents",
                                 fix: "run it inside the package, or drop --nomod to create a new one")
        }
        if !nomod, !force, !FileSystem.isAbsentOrEmptyDirectory(destination) {
            throw CLIError.usage("\(destination.path) already exists and is not empty",
                                 fix: "choose another name, or pass --force to replace it")
        }
        let here = environment.currentDirectory.standardizedFileURL.path + "/"
        if force, here.hasPrefix(destination.path + "/") {
            throw CLIError.usage("--force would replace \(destination.path), which holds the current directory",
                                 fix: "run kratos from outside it")
        }
        if let branch, branch.trimmingCharacters(in: .whitespaces).isEmpty {
            throw CLIError.usage("-b/--branch is empty", fix: "pass a branch, tag or commit, or drop -b")
        }
        let location = try repo.map { try TemplateLocation.parse($0, environment: environment) }
            ?? .embedded(EmbeddedTemplate.defaultName)
        let loader = TemplateLoader(environment: environment, timeout: timeout, dryRun: dryRun)
        let template = try loader.load(location, source: repo ?? EmbeddedTemplate.defaultName, ref: branch)
        let templateName = try TemplateRenderer.packageName(in: template.files, template: template.origin.source)
        let runtime = try RuntimeDependency.choose(environment)
        let files = runtime.apply(to: try TemplateRenderer(templateName: templateName, project: project).render(template.files))

        if let package {
            let adding = AddToPackage(root: package, files: files, project: project)
            let plan = try adding.plan()
            var report = NewReport(project: project, template: template, files: plan.files.map(\.path) + ["Package.swift"],
                                   git: false, dryRun: dryRun)
            report.path = package.path
            report.runtime = runtime.kind
            report.addedToPackage = true
            if !dryRun {
                try runtime.prepare()
                try adding.write(plan)
            }
            return report
        }
        var report = NewReport(project: project, template: template, files: files.map(\.path),
                               git: git, dryRun: dryRun)
        report.runtime = runtime.kind
        if !dryRun {
            try runtime.prepare()
            try write(files, to: destination)
        }
        return report
    }

    /// Writes into a hidden directory beside the destination, initialises git there, and moves
    /// it into place only when complete; on any failure nothing is left behind.
    private func write(_ files: [TemplateFile], to destination: URL) throws {
        let fm = FileManager.default
        let parent = destination.deletingLastPathComponent()
        let created: [URL]
        do {
            created = try FileSystem.createDirectories(parent)
        } catch {
            throw CLIError.failure("cannot create \(parent.path): \(error.localizedDescription)")
        }
        let staging = parent.appendingPathComponent(".kratos-new-\(destination.lastPathComponent)-\(UUID().uuidString.prefix(8))")
        do {
            try fm.createDirectory(at: staging, withIntermediateDirectories: false)
            try FileSystem.write(files, into: staging)
            if git {
                try GitRepository.initialize(at: staging.path)
            }
            try FileSystem.replace(destination, with: staging)
        } catch {
            try? fm.removeItem(at: staging)
            FileSystem.removeEmpty(created)
            if let error = error as? CLIError { throw error }
            throw CLIError.failure("cannot create \(destination.path): \(error)",
                                   fix: "check that the directory is writable and the disk has room")
        }
    }
}

/// What `kratos new` did (or would do, with `--dry-run`).
public struct NewReport: Sendable, Encodable {
    public var name: String
    public var path: String
    public var module: String
    public var c99Name: String
    public var template: LoadedTemplate.Origin
    public var files: [String]
    public var git: Bool
    public var dryRun: Bool
    public var warnings: [String]
    /// How the project depends on the runtime: `local` (a checkout) or `remote` (URL and version).
    public var runtime = "remote"
    /// Whether the service was added to an existing package (`--nomod`).
    public var addedToPackage = false

    init(project: ProjectName, template: LoadedTemplate, files: [String], git: Bool, dryRun: Bool) {
        name = project.packageName
        path = project.directory.path
        module = project.moduleName
        c99Name = project.c99Name
        self.template = template.origin
        self.files = files
        self.git = git
        self.dryRun = dryRun
        warnings = template.warnings
    }

    /// Pretty, key-sorted JSON.
    public func json() throws -> String {
        String(decoding: try JSONEncoder.sorted.encode(self), as: UTF8.self)
    }

    func printHuman(on terminal: Terminal) {
        let source = template.kind == "embedded" ? "embedded template \(template.source)"
            : template.source + (template.ref.map { "@\($0)" } ?? "") + (template.commit.map { " (\($0.prefix(12)))" } ?? "")
        if dryRun {
            terminal.line("Would create \(terminal.styled(name, .bold)) in \(path) from \(source) (\(files.count) files):")
            for file in files {
                terminal.line("  " + file)
            }
            if git { terminal.line("  and initialise a git repository") }
            return
        }
        if addedToPackage {
            terminal.line(terminal.styled("✔", .green) + " Added \(terminal.styled(name, .bold)) to the package in \(path)")
            terminal.line("  from \(source), \(files.count) files; module \(module)")
            terminal.line("")
            terminal.line("Next:")
            terminal.line(terminal.styled("  kratos run --product \(name) -- -conf ./configs/\(name)", .cyan))
            return
        }
        terminal.line(terminal.styled("✔", .green) + " Created \(terminal.styled(name, .bold)) in \(path)")
        terminal.line("  from \(source), \(files.count) files" + (git ? ", git repository initialised" : ""))
        terminal.line("  module \(module)")
        terminal.line("")
        terminal.line("Next:")
        terminal.line(terminal.styled("  cd \(Shell.quote(path)) && kratos run", .cyan))
    }
}
