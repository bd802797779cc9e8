import XCTest
import Landscape
import LandscapeRender
@testable import LandscapePictures

/// The one spec of a picture request: the API's query and the CLI's flags both end here,
/// and every refusal names its field and what is allowed.
final class RenderSpecTests: XCTestCase {
    func testAnEmptyQueryIsTheDefaultSpec() throws {
        XCTAssertEqual(try RenderSpec.decode(query: [:]), RenderSpec())
        let spec = try RenderSpec.decode(query: ["kind": "Heatmap", "metric": "accuracy", "vmin": "0.1", "vmax": "0.9", "vlevel": "0.1",
                                                 "cmap": "magma", "width": "640", "height": "480", "elevation": "-20",
                                                 "transparent": "1", "zmax": "5"])
        XCTAssertEqual(spec.kind, .heatmap)
        XCTAssertEqual(spec.metric, .accuracy)
        XCTAssertEqual([spec.vmin, spec.vmax, spec.vlevel, spec.zMax], [0.1, 0.9, 0.1, 5])
        XCTAssertEqual(spec.colormap, .magma)
        XCTAssertEqual([spec.width, spec.height], [640, 480])
        XCTAssertEqual(spec.elevation, -20)
        XCTAssertTrue(spec.transparent)
    }

    func testEachRefusalNamesTheFieldAndWhatIsAllowed() {
        let cases: [([String: String], String)] = [
            (["kind": "pie"], "kind: 'pie' is not one of contour, filled, heatmap, surface3d, line"),
            (["metric": "f1"], "metric: 'f1' is not one of loss, accuracy"),
            (["vlevel": "0"], "vlevel: expected a positive level spacing, got 0.0"),
            (["vlevel": "-1"], "vlevel: expected a positive level spacing, got -1.0"),
            (["vmin": "nan"], "vmin: 'nan' is not a finite number"),
            (["vmin": "2", "vmax": "1"], "vmin, vmax: expected vmin < vmax, got 2.0 and 1.0"),
            (["vmin": "0"], "vmin: a log scale needs vmin > 0, got 0.0 (or ask for a linear scale)"),
            (["elevation": "91"], "elevation: expected -90...90 degrees, got 91.0"),
            (["width": "10"], "width: expected 64...4096 pixels, got 10"),
            (["height": "1e9"], "height: '1e9' is not an integer"),
            (["transparent": "maybe"], "transparent: 'maybe': expected 1 or 0 (true/false, yes/no), or leave it out for the default"),
        ]
        for (query, message) in cases {
            XCTAssertThrowsError(try RenderSpec.decode(query: query), "\(query)") { XCTAssertEqual("\($0)", message) }
        }
        // A linear scale takes any vmin; accuracy is linear by default.
        XCTAssertNoThrow(try RenderSpec.decode(query: ["vmin": "0", "log": "0"]))
        XCTAssertNoThrow(try RenderSpec.decode(query: ["vmin": "0", "metric": "accuracy"]))
    }

    func testTheCLIOnlyFieldsAreCheckedToo() {
        var spec = RenderSpec()
        spec.scale = 100
        XCTAssertThrowsError(try spec.validated()) { XCTAssertEqual("\($0)", "scale: expected 0.25...4.0, got 100.0") }
        spec.scale = 1; spec.title = "two\nlines"
        XCTAssertThrowsError(try spec.validated()) { XCTAssertTrue("\($0)".hasPrefix("title: "), "\($0)") }
    }

    /// The fields document what `decode` reads: every name is one the decoder knows, with the spec's defaults.
    func testTheFieldsCarryTheSpecsDefaults() throws {
        let fields = Dictionary(uniqueKeysWithValues: RenderSpec.fields().map { ($0.name, $0) })
        let defaults = RenderSpec()
        XCTAssertEqual(fields["kind"]?.defaultValue, defaults.kind.rawValue)
        XCTAssertEqual(fields["width"]?.defaultValue, String(defaults.width))
        XCTAssertEqual(fields["width"]?.maximum, RenderSpec.sizeRange.upperBound)
        XCTAssertEqual(fields["cmap"]?.allowed, Colormap.allCases.map(\.rawValue))
        XCTAssertEqual(fields["vlevel"]?.exclusiveMinimum, true)
        // Each field, given a valid value, changes the decoded spec (no documented field is ignored).
        let samples = ["kind": "heatmap", "metric": "accuracy", "width": "700", "height": "500", "vmin": "0.5", "vmax": "2",
                       "vlevel": "0.25", "levels": "12", "zmax": "3", "log": "0", "transparent": "1", "cmap": "magma", "azimuth": "10", "elevation": "45"]
        XCTAssertEqual(Set(samples.keys), Set(fields.keys))
        for (name, value) in samples {
            XCTAssertNotEqual(try RenderSpec.decode(query: [name: value]), defaults, name)
        }
    }
}
