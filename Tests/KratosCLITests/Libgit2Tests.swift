import CLibGit2
import Foundation
import Testing
@testable import KratosCLI

@Suite struct Libgit2Tests {
    /// `Libgit2.initialize()` initialises libgit2 by itself (no assertion has to run for it) and
    /// only once, however many threads call it at the same time.
    @Test func initializeRunsOnceFromAnyThread() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                group.addTask { try Libgit2.initialize() }
            }
            try await group.waitForAll()
        }
        // git_libgit2_init answers with the number of initialisations, this one included; the
        // shutdown takes this one back.
        let count = git_libgit2_init()
        git_libgit2_shutdown()
        #expect(count == 2)
    }

}
