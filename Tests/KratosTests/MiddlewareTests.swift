import Synchronization
import Testing
@testable import Kratos

@Suite struct MiddlewareTests {
    final class Trace: Sendable {
        let events = Mutex<[String]>([])
        func record(_ event: String) { events.withLock { $0.append(event) } }
        var all: [String] { events.withLock { $0 } }
    }

    func named(_ name: String, _ trace: Trace) -> MiddlewareFunction {
        MiddlewareFunction { request, context, next in
            trace.record("\(name) in")
            let reply = try await next(request, context)
            trace.record("\(name) out")
            return reply
        }
    }

    let context = RequestContext(kind: .http, endpoint: "http://127.0.0.1:1", operation: "/pkg.Svc/Method")

    @Test func chainMakesTheFirstOutermost() async throws {
        let trace = Trace()
        let handler = MiddlewareChain(named("a", trace), named("b", trace), named("c", trace)).wrap { request, _ in
            trace.record("handler")
            return request
        }
        let reply = try await handler("ping", context)
        #expect(reply as? String == "ping")
        #expect(trace.all == ["a in", "b in", "c in", "handler", "c out", "b out", "a out"])
    }

    @Test func recoveryTurnsPlainErrorsIntoUnknown() async throws {
        struct Boom: Error {}
        let handler = MiddlewareChain(Recovery()).wrap { _, _ in throw Boom() }
        await #expect {
            _ = try await handler("x", context)
        } throws: { error in
            let kratos = error as? KratosError
            return kratos?.code == 500 && kratos?.reason == "UNKNOWN" && kratos?.message == "unknown request error" && kratos?.cause is Boom
        }
    }

    @Test func recoveryLetsFrameworkErrorsThrough() async throws {
        let handler = MiddlewareChain(Recovery()).wrap { _, _ in throw KratosError.notFound("NOPE", "missing") }
        await #expect {
            _ = try await handler("x", context)
        } throws: { ($0 as? KratosError)?.is(.notFound("NOPE", "")) == true }
    }

    @Test(arguments: [
        ("/*", "/a.B/C", true), ("*", "/x", true), ("/helloworld.v1.Greeter/*", "/helloworld.v1.Greeter/SayHello", true),
        ("/helloworld.v1.Greeter/*", "/helloworld.v1.Other/SayHello", false),
        ("/helloworld.v1.Greeter/SayHello", "/helloworld.v1.Greeter/SayHello", true),
        ("/helloworld.v1.Greeter/SayHello", "/helloworld.v1.Greeter/SayHelloAgain", false),
    ])
    func matchers(pattern: String, operation: String, matches: Bool) {
        #expect(OperationMatcher(pattern).matches(operation) == matches)
    }

    @Test func selectedMiddlewareKeepRegistrationOrder() async throws {
        let trace = Trace()
        let selected = [
            SelectedMiddleware(["/a.Svc/Get"], [named("get", trace)]),
            SelectedMiddleware(["/b.Svc/*"], [named("other", trace)]),
            SelectedMiddleware(["/a.Svc/*"], [named("svc", trace), named("svc2", trace)]),
        ]
        let handler = MiddlewareChain(selected.middleware(for: "/a.Svc/Get")).wrap { request, _ in
            trace.record("handler")
            return request
        }
        _ = try await handler("x", context)
        // An exact match wins over the prefix (go-kratos's matcher picks one group).
        #expect(trace.all == ["get in", "handler", "get out"])
        #expect(selected.middleware(for: "/a.Svc/List").count == 2)
        #expect(selected.middleware(for: "/c.Svc/List").isEmpty)
    }

    /// go-kratos internal/matcher/middleware_test.go, TestMatcher: defaults plus one group — the
    /// exact selector if there is one, else the longest matching prefix (`*` matching everything).
    @Test(arguments: [
        ("/", ["logging", "*"]), ("/foo/xxx", ["logging", "foo/*"]), ("/foo/bar", ["logging", "foo/bar"]),
        ("/foo/bar/x", ["logging", "foo/bar/*"]),
    ])
    func matcherPicksExactThenLongestPrefix(operation: String, expected: [String]) async throws {
        let trace = Trace()
        var set = MiddlewareSet([named("logging", trace)])
        set.selected = [
            SelectedMiddleware(["*"], [named("*", trace)]),
            SelectedMiddleware(["/foo/*"], [named("foo/*", trace)]),
            SelectedMiddleware(["/foo/bar/*"], [named("foo/bar/*", trace)]),
            SelectedMiddleware(["/foo/bar"], [named("foo/bar", trace)]),
        ]
        _ = try await set.chain(for: operation) { request, _ in request }("x", context)
        #expect(trace.all.filter { $0.hasSuffix(" in") }.map { String($0.dropLast(3)) } == expected)
    }

    /// Registrations of the same selector all apply, in order; a registration with several
    /// matchers competes with the best of them.
    @Test func sameSelectorTwiceAppliesBoth() async throws {
        let trace = Trace()
        let selected = [
            SelectedMiddleware(["/a.Svc/*"], [named("first", trace)]),
            SelectedMiddleware(["/*"], [named("all", trace)]),
            SelectedMiddleware(["/b.Svc/*", "/a.Svc/*"], [named("second", trace)]),
        ]
        _ = try await MiddlewareChain(selected.middleware(for: "/a.Svc/Get")).wrap { request, _ in request }("x", context)
        #expect(trace.all == ["first in", "second in", "second out", "first out"])
    }

    @Test func aValueOfAnotherTypeIsATypeMismatchError() throws {
        #expect(try context.typed("text" as any Sendable, as: String.self) == "text")
        #expect {
            _ = try context.typed(42 as any Sendable, as: String.self, role: "reply")
        } throws: { error in
            let kratos = error as? KratosError
            return kratos?.code == 500 && kratos?.reason == "TYPE_MISMATCH"
                && kratos?.message == "/pkg.Svc/Method: the reply is Int, not String"
        }
    }

    /// The exact type takes the fast path; a subclass or a wrapped value still casts, through
    /// `otherwise`, as `as?` would.
    @Test func typedValuesCastAsAsDoes() throws {
        class Base: @unchecked Sendable {}
        final class Derived: Base, @unchecked Sendable {}
        func path(_ value: any Sendable) -> String {
            withExactly(value, as: Base.self, { _ in "exact" }) { ($0 as? Base) == nil ? "none" : "cast" }
        }
        #expect(path(Base()) == "exact")
        #expect(path(Derived()) == "cast")
        #expect(path(Optional(Base())) == "cast")
        #expect(path(42) == "none")
        let derived: Base = try context.typed(Derived() as any Sendable, as: Base.self)
        #expect(derived is Derived)
    }
}
