@testable import Kratos
import Testing

/// Node selection as go-kratos's selector tests check it: the spread of each balancer, filters,
/// no node, and (ours) passive health and endpoint parsing.
@Suite struct SelectorTests {
    static func nodes(_ count: Int, weights: [Double]? = nil, version: String = "v1") -> [Node] {
        (0..<count).map { index in
            var metadata: [String: String] = [:]
            if let weights { metadata["weight"] = String(weights[index]) }
            return Node(scheme: "grpc", address: "10.0.0.\(index + 1):9000", name: "greeter", instanceID: "i\(index)",
                        version: version, metadata: metadata)
        }
    }

    /// Picks `count` times, each call ending at once; returns the calls per address, in order.
    static func spread(_ selector: NodeSelector, _ count: Int) throws -> (counts: [String: Int], order: [String]) {
        var counts: [String: Int] = [:]
        var order: [String] = []
        for _ in 0..<count {
            let picked = try selector.select()
            counts[picked.node.address, default: 0] += 1
            order.append(picked.node.address)
            picked.done(.success)
        }
        return (counts, order)
    }

    @Test func weightedRoundRobinIsEvenForEqualWeightsAndInterleavesByWeight() throws {
        let even = NodeSelector()
        even.update(Self.nodes(3))
        #expect(try Self.spread(even, 3000).counts.values.sorted() == [1000, 1000, 1000])

        let weighted = NodeSelector(balancer: WeightedRoundRobin())
        weighted.update(Self.nodes(2, weights: [300, 100]))
        let (counts, order) = try Self.spread(weighted, 4000)
        #expect(counts["10.0.0.1:9000"] == 3000 && counts["10.0.0.2:9000"] == 1000)
        // Smooth: never more than three calls in a row to the heavy node.
        var run = 0, longest = 0
        for address in order { run = address == "10.0.0.1:9000" ? run + 1 : 0; longest = max(longest, run) }
        #expect(longest == 3)
    }

    @Test func aNodeWithoutWeightCountsAsOneHundred() {
        #expect(Node(scheme: "http", address: "a:1").weight == 100)
        #expect(Node(scheme: "http", address: "a:1", metadata: ["weight": "250"]).weight == 250)
        #expect(Node(scheme: "http", address: "a:1", metadata: ["weight": "-3"]).weight == 100)
        #expect(Node(scheme: "http", address: "a:1", metadata: ["weight": "x"]).weight == 100)
    }

    @Test func randomIsRoughlyEven() throws {
        let selector = NodeSelector(balancer: RandomBalancer())
        selector.update(Self.nodes(3))
        for count in try Self.spread(selector, 3000).counts.values {
            #expect(abs(count - 1000) < 150, "\(count) of 3000 calls")
        }
    }

    @Test func p2cSendsLessToTheSlowNode() throws {
        let selector = NodeSelector(balancer: P2CBalancer())
        selector.update(Self.nodes(3))
        var counts: [String: Int] = [:]
        for _ in 0..<3000 {
            let picked = try selector.select()
            counts[picked.node.address, default: 0] += 1
            // The second node answers in 20 ms, the others in 1 ms.
            let latency: Duration = picked.node.address == "10.0.0.2:9000" ? .milliseconds(20) : .milliseconds(1)
            picked.weighted.ended(.success, started: picked.start, at: picked.start + latency)
        }
        let slow = counts["10.0.0.2:9000", default: 0]
        #expect(slow < 300, "the slow node got \(slow) of 3000 calls")
        #expect(slow > 0, "the slow node is still measured now and then")
        #expect(counts.count == 3)
    }

    @Test func p2cPrefersTheNodeWithFewerCallsInFlight() throws {
        let selector = NodeSelector(balancer: P2CBalancer())
        selector.update(Self.nodes(2))
        // Calls to the first node never end.
        var held: [PickedNode] = []
        var second = 0
        for _ in 0..<200 {
            let picked = try selector.select()
            if picked.node.address == "10.0.0.1:9000" { held.append(picked) } else { second += 1; picked.done(.success) }
        }
        #expect(second > 150, "\(second) of 200 went to the idle node")
        for picked in held { picked.done(.success) }
    }

    @Test func filtersNarrowTheNodesAndNoneLeftIsNodeNotFound() throws {
        let selector = NodeSelector(filters: [.version("v2")], target: "greeter")
        selector.update(Self.nodes(2, version: "v1") + [Node(scheme: "grpc", address: "10.0.0.9:9000", version: "v2")])
        for _ in 0..<10 { #expect(try selector.select().node.address == "10.0.0.9:9000") }

        let metadata = NodeSelector(filters: [.metadata("zone", "eu")])
        metadata.update([Node(scheme: "grpc", address: "a:1", metadata: ["zone": "us"]), Node(scheme: "grpc", address: "b:1", metadata: ["zone": "eu"])])
        #expect(try metadata.select().node.address == "b:1")

        let none = NodeSelector(filters: [.version("v3")], target: "greeter")
        none.update(Self.nodes(2))
        let error = try #require(throws: KratosError.self) { try none.select() }
        #expect(error.code == 503 && error.reason == "NODE_NOT_FOUND")
        #expect(error.message.contains("greeter") && error.message.contains("2 known"))
        let empty = try #require(throws: KratosError.self) { try NodeSelector().select() }
        #expect(empty.code == 503 && empty.reason == "NODE_NOT_FOUND")
    }

    /// The weighted node of `node` in `selector` (every other node excluded).
    static func weighted(_ node: Node, in selector: NodeSelector) throws -> WeightedNode {
        let others = Set(selector.all.map(\.endpoint)).subtracting([node.endpoint])
        let picked = try selector.select(excluding: others)
        picked.done(.success)
        return picked.weighted
    }

    static func markUnreachable(_ weighted: WeightedNode) {
        weighted.picked(at: .now)
        weighted.ended(.unreachable, started: .now, at: .now)
    }

    @Test func anUnreachableNodeIsSkippedForAWhileUnlessNoneIsLeft() throws {
        let selector = NodeSelector()
        let nodes = Self.nodes(3)
        selector.update(nodes)
        let first = try Self.weighted(nodes[0], in: selector)
        Self.markUnreachable(first)
        #expect(first.isSkipped(at: .now) && !first.isSkipped(at: .now + .seconds(2)))
        let (counts, _) = try Self.spread(selector, 100)
        #expect(counts[nodes[0].address] == nil)
        #expect(counts.values.reduce(0, +) == 100)
        // Every node unreachable: calls still go somewhere rather than nowhere.
        for node in nodes.dropFirst() { Self.markUnreachable(try Self.weighted(node, in: selector)) }
        #expect(try Self.spread(selector, 3).counts.values.reduce(0, +) == 3)
        // A success ends the skipping.
        first.picked(at: .now)
        first.ended(.success, started: .now, at: .now)
        #expect(!first.isSkipped(at: .now))
    }

    @Test func anUpdateKeepsWhatSurvivingNodesHaveShownAndReportsLeavers() throws {
        let selector = NodeSelector()
        let nodes = Self.nodes(3)
        selector.update(nodes)
        let kept = try Self.weighted(nodes[0], in: selector)
        Self.markUnreachable(kept)
        let removed = selector.update(Array(nodes.dropLast()))
        #expect(removed == [nodes[2]])
        #expect(try Self.weighted(nodes[0], in: selector) === kept)
        #expect(selector.all == Array(nodes.dropLast()))
        // A node whose instance changed (a new version at the same address) starts afresh.
        var changed = nodes[0]
        changed.version = "v2"
        selector.update([changed, nodes[1]])
        #expect(try Self.weighted(changed, in: selector) !== kept)
    }

    @Test func nodesComeFromTheFirstEndpointOfAScheme() {
        let instances = [
            ServiceInstance(id: "a", name: "s", version: "v1", metadata: ["weight": "50"], endpoints: ["http://10.0.0.1:8000", "grpc://10.0.0.1:9000"]),
            ServiceInstance(id: "b", name: "s", version: "v1", endpoints: ["http://10.0.0.2:8000/"]),
            ServiceInstance(id: "c", name: "s", version: "v1", endpoints: ["garbage", "grpc://"]),
        ]
        #expect(Node.nodes(of: instances, schemes: ["grpc"]).map(\.endpoint) == ["grpc://10.0.0.1:9000"])
        let http = Node.nodes(of: instances, schemes: ["http", "https"])
        #expect(http.map(\.endpoint) == ["http://10.0.0.1:8000", "http://10.0.0.2:8000"])
        #expect(http.first?.weight == 50 && http.first?.instanceID == "a")
    }

    @Test func endpointsNameTheirNodes() async throws {
        let single = try ClientTarget(endpoint: "127.0.0.1:9000", schemes: ["grpc"])
        #expect(single.single?.endpoint == "grpc://127.0.0.1:9000")
        #expect(try ClientTarget(endpoint: "dns:///example.com:443", schemes: ["grpc"]).single?.address == "example.com:443")
        #expect(try ClientTarget(endpoint: "https://example.com", schemes: ["http", "https"]).single?.endpoint == "https://example.com")
        let list = try ClientTarget(endpoint: "direct:///a:1, b:2", schemes: ["grpc"])
        #expect(list.single == nil && list.selector.all.map(\.address) == ["a:1", "b:2"])
        #expect(try await list.select(waitingUpTo: .seconds(1)).node.address == "a:1")

        for bad in ["direct:///", "discovery:///", "http://"] {
            let error = try #require(throws: KratosError.self) { try ClientTarget(endpoint: bad, schemes: ["http"]) }
            #expect(error.code == 400 && error.reason == "BAD_ENDPOINT", "\(bad)")
        }
        // discovery:/// without a Discovery: every call is refused, naming the fix.
        let orphan = try ClientTarget(endpoint: "discovery:///greeter", schemes: ["grpc"])
        #expect(orphan.serviceName == "greeter")
        let error = await #expect(throws: KratosError.self) { try await orphan.select(waitingUpTo: .seconds(1)) }
        #expect(error?.reason == "NODE_NOT_FOUND" && error?.message.contains("discovery") == true)
    }
}
