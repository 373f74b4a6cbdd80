/// A header list as HTTP/2 carries it (RFC 7541 §1.3): name-value pairs in the order they
/// arrived or are to be sent, pseudo-headers included. Names are compared exactly, as HTTP/2
/// sends them lower-case.
package struct HeaderList: Sendable, Sequence {
    package private(set) var fields: [(name: String, value: String)]

    package init(_ fields: [(name: String, value: String)] = []) {
        self.fields = fields
    }

    init(reservingCapacity capacity: Int) {
        fields = []
        fields.reserveCapacity(capacity)
    }

    package var count: Int { fields.count }

    package mutating func append(_ name: String, _ value: String) {
        fields.append((name, value))
    }

    /// The value of the first field named `name`.
    package func first(name: String) -> String? {
        for field in fields where field.name == name { return field.value }
        return nil
    }

    package func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }
}
