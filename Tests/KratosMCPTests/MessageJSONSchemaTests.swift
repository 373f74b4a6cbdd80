import KratosMCP
import KratosTestSupport
import MCP
import Testing

/// Input schemas learned from generated messages, in protojson form.
@Suite struct MessageJSONSchemaTests {
    let schema = MessageJSONSchema.schema(for: Kratos_Test_V1_Everything.self)
    var properties: [String: Value] { schema.objectValue?["properties"]?.objectValue ?? [:] }

    @Test func scalarsUseTheirJSONNamesAndProtojsonTypes() {
        #expect(schema.objectValue?["type"] == "object")
        #expect(schema.objectValue?["title"] == "kratos.test.v1.Everything")
        #expect(properties["name"] == ["type": "string"])
        #expect(properties["userId"] == ["type": "string"])
        #expect(properties["user_id"] == nil)
        #expect(properties["count"] == ["type": "integer"])
        #expect(properties["big"] == ["type": ["integer", "string"], "format": "int64"])
        #expect(properties["total"] == ["type": ["integer", "string"], "format": "int64"])
        #expect(properties["ratio"] == ["type": "number"])
        #expect(properties["flag"] == ["type": "boolean"])
        #expect(properties["blob"] == ["type": "string", "contentEncoding": "base64"])
        #expect(properties["note"] == ["type": "string"])
    }

    @Test func enumsListTheirNames() {
        let color = properties["color"]?.objectValue
        #expect(color?["enum"] == ["COLOR_UNSPECIFIED", "GREEN", "RED"])
        #expect(properties["colors"]?.objectValue?["type"] == "array")
    }

    @Test func repeatedMapsAndNestedMessages() {
        #expect(properties["tags"] == ["type": "array", "items": ["type": "string"]])
        #expect(properties["ids"] == ["type": "array", "items": ["type": ["integer", "string"], "format": "int64"]])
        #expect(properties["labels"] == ["type": "object", "propertyNames": ["type": "string"], "additionalProperties": ["type": "string"]])
        let page = properties["page"]?.objectValue
        #expect(page?["title"] == "kratos.test.v1.Everything.Page")
        // A message inside itself is an open object, not an endless schema.
        #expect(page?["properties"]?.objectValue?["next"]?.objectValue?["type"] == "object")
        #expect(page?["properties"]?.objectValue?["next"]?.objectValue?["properties"] == nil)
        let pages = properties["pages"]?.objectValue
        #expect(pages?["propertyNames"] == ["type": "string", "pattern": "^-?[0-9]+$"])
        #expect(pages?["additionalProperties"]?.objectValue?["title"] == "kratos.test.v1.Everything.Page")
    }

    @Test func wellKnownTypesTakeTheirJSONForms() {
        #expect(properties["at"] == ["type": "string", "format": "date-time"])
        #expect(properties["wait"]?.objectValue?["type"] == "string")
        #expect(properties["nickname"] == ["type": "string"])
        #expect(properties["limit"] == ["type": ["integer", "string"], "format": "int64"])
        #expect(properties["enabled"] == ["type": "boolean"])
        #expect(properties["mask"] == ["type": "string"])
        #expect(properties["data"] == ["type": "object"])
        #expect(properties["dataList"] == ["type": "array", "items": ["type": "object"]])
        #expect(properties["value"] == [:])
        #expect(properties["list"] == ["type": "array"])
    }
}
