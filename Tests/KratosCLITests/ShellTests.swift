import Foundation
import Testing
@testable import KratosCLI

@Suite struct ShellTests {
    /// Words a shell would otherwise split, expand, glob, run or take as an assignment.
    static let awkward = [
        "", "a b", "it's", "'", "$HOME", "${HOME}", "`id`", "$(id)", "~", "~root/x", "*", "a?", "[ab]", "{a,b}",
        "a;b", "a&b", "a|b", "a>b", "(a)", "#x", "!x", "\\", "\"q\"", "tab\there", "new\nline", "héllo wörld",
        "FOO=bar", "=ls", "-n", "--plugin=protoc-gen-swift=/usr/bin/protoc-gen-swift",
    ]

    /// Each quoted word reaches a program as exactly the word, through a real /bin/sh.
    @Test(arguments: awkward)
    func aQuotedWordReachesTheProgramUnchanged(word: String) throws {
        let script = "printf '%s' " + Shell.quote(word)
        let result = try run(URL(fileURLWithPath: "/bin/sh"), ["-c", script],
                             in: FileManager.default.temporaryDirectory, environment: ["HOME": "/nonexistent", "PATH": "/usr/bin:/bin"])
        #expect(result.status == 0)
        #expect(result.stdout == word)
    }

    /// First on a command line a word is a program to run, never an assignment.
    @Test func aQuotedAssignmentIsACommand() throws {
        let result = try run(URL(fileURLWithPath: "/bin/sh"), ["-c", Shell.quote("KRATOS_TEST=1")],
                             in: FileManager.default.temporaryDirectory, environment: ["PATH": "/usr/bin:/bin"])
        #expect(result.status == 127)
    }

    /// The command lines kratos prints stay readable: ordinary paths and options are left bare.
    @Test(arguments: ["/home/me/hello-world", "-I/usr/include", "--swift_out=/tmp/out", "--swift_opt=Visibility=Public,FileNaming=FullPath",
                      "--plugin=protoc-gen-swift=/usr/bin/protoc-gen-swift", "api/helloworld/v1/greeter.proto", "user@host:8080", "50%", "a+b"])
    func ordinaryWordsStayBare(word: String) {
        #expect(Shell.quote(word) == word)
    }

    @Test func quotesInsideAreEscaped() {
        #expect(Shell.quote("it's") == #"'it'\''s'"#)
        #expect(Shell.quote("") == "''")
        #expect(Shell.quote("=ls") == "'=ls'")
    }
}
