import Foundation
import Kratos
import NIOCore
import NIOHTTP1
import Yams

extension KratosHTTPServer {
    /// Serves an OpenAPI document (what protoc-gen-kratos-openapi writes) and a Swagger UI page
    /// for it, outside the server's middleware, as go-kratos's swagger plugin does:
    ///
    /// - `GET <prefix>/openapi.yaml`: the document as given (YAML; JSON is YAML too);
    /// - `GET <prefix>/openapi.json`: the same document as JSON;
    /// - `GET <prefix>/swagger-ui`: the Swagger UI page, its scripts and styles from `ui.assets`
    ///   (a CDN by default; a local directory served under `<prefix>/swagger-ui/assets/`).
    ///
    /// ```swift
    /// try server.serveOpenAPI(document: yaml)                                       // CDN assets
    /// try server.serveOpenAPI(document: yaml, ui: .init(assets: .directory("/srv/swagger-ui")))
    /// try server.serveOpenAPI(document: yaml, ui: nil)                              // the document only
    /// ```
    /// - Parameters:
    ///   - document: the document's text, YAML or JSON.
    ///   - ui: the Swagger UI page, or nil for none.
    ///   - prefix: where the routes go (default `/q`).
    /// - Throws: when the document does not parse, or a local asset directory lacks the files the
    ///   page loads (`swagger-ui-bundle.js`, `swagger-ui.css`).
    public func serveOpenAPI(document: String, ui: SwaggerUI? = SwaggerUI(), at prefix: String = "/q") throws {
        let json = try OpenAPIDocument.json(from: document)
        let yaml = ByteBuffer(string: document)
        var assets: [String: SwaggerUI.Asset]?
        if case .directory(let path)? = ui?.assets { assets = try SwaggerUI.loadAssets(from: path) }
        try handle(.GET, prefix + "/openapi.yaml") { _ in
            OpenAPIDocument.response(yaml, contentType: "application/yaml; charset=utf-8")
        }
        try handle(.GET, prefix + "/openapi.json") { _ in
            OpenAPIDocument.response(json, contentType: "application/json")
        }
        guard let ui else { return }
        let page = ByteBuffer(string: ui.page(documentURL: "openapi.json"))
        try handle(.GET, prefix + "/swagger-ui") { _ in
            OpenAPIDocument.response(page, contentType: "text/html; charset=utf-8")
        }
        guard let assets else { return }
        try handle(.GET, prefix + "/swagger-ui/assets/{file}") { request in
            // Only the files loaded up front are served: a name is looked up, never joined to a path.
            guard let name = request.pathParameter("file"), let asset = assets[name] else {
                throw KratosError(code: 404, reason: "NOT_FOUND", message: "no such Swagger UI asset")
            }
            return OpenAPIDocument.response(asset.bytes, contentType: asset.contentType)
        }
    }
}

/// The Swagger UI page ``KratosHTTPServer/serveOpenAPI(document:ui:at:)`` serves.
public struct SwaggerUI: Sendable, Equatable {
    /// Where the page's scripts and styles come from.
    public enum Assets: Sendable, Equatable {
        /// A base URL holding `swagger-ui-bundle.js` and `swagger-ui.css` (default: swagger-ui-dist 5 on jsDelivr).
        case cdn(String = SwaggerUI.defaultCDN)
        /// A local directory with those files (the `dist` of swagger-ui, e.g. from the
        /// `swagger-ui-bundle` Python wheel), for sites without internet access.
        case directory(String)
    }

    public static let defaultCDN = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5"

    /// The files served from a local directory; the first two are required.
    static let assetFiles = ["swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js", "favicon-32x32.png", "favicon-16x16.png"]

    public var assets: Assets
    /// The page's title.
    public var title: String

    public init(assets: Assets = .cdn(), title: String = "Swagger UI") {
        self.assets = assets
        self.title = title
    }

    /// The HTML page, loading the document from `documentURL` (relative to the page).
    func page(documentURL: String) -> String {
        let base = switch assets {
        case .cdn(let url): url.hasSuffix("/") ? String(url.dropLast()) : url
        case .directory: "swagger-ui/assets"
        }
        let attribute = { (text: String) in
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
                .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        // A JavaScript string literal that cannot end the script element.
        let script = "\"" + documentURL.unicodeScalars.map { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._-/".unicodeScalars.contains(scalar))
                ? String(scalar) : String(format: "\\u%04x", scalar.value)
        }.joined() + "\""
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(attribute(title))</title>
            <link rel="stylesheet" href="\(attribute(base))/swagger-ui.css">
            </head>
            <body>
            <div id="swagger-ui"></div>
            <script src="\(attribute(base))/swagger-ui-bundle.js"></script>
            <script>
            window.ui = SwaggerUIBundle({ url: \(script), dom_id: "#swagger-ui", deepLinking: true });
            </script>
            </body>
            </html>

            """
    }

    struct Asset: Sendable {
        let bytes: ByteBuffer
        let contentType: String
    }

    /// The asset files found in `directory`, read once.
    static func loadAssets(from directory: String) throws -> [String: Asset] {
        var assets: [String: Asset] = [:]
        for name in assetFiles {
            let url = URL(fileURLWithPath: directory).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path) else { continue }
            let type = switch url.pathExtension {
            case "js": "text/javascript; charset=utf-8"
            case "css": "text/css; charset=utf-8"
            case "png": "image/png"
            default: "application/octet-stream"
            }
            assets[name] = Asset(bytes: ByteBuffer(bytes: data), contentType: type)
        }
        for required in assetFiles.prefix(2) where assets[required] == nil {
            throw KratosError(code: 500, reason: "SWAGGER_UI", message: "\(directory) has no \(required): give the dist directory of swagger-ui")
        }
        return assets
    }
}
