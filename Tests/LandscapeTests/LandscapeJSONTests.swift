import XCTest
import Landscape
import LandscapeCore

final class LandscapeJSONTests: XCTestCase {
    struct Sample: Encodable { let curvatureX: Double; let values: [Double?]; let name: String }

    func testNonFiniteNumbersAreWrittenAsNullAndKeysAreSortedSnakeCase() throws {
        let data = try LandscapeJSON.encode(Sample(curvatureX: .infinity, values: [1.5, .nan, nil, -.infinity], name: "a\u{1}b"))
        let text = try XCTUnwrap(String(data: data, encoding: .utf8))
        XCTAssertEqual(text, #"{"curvature_x":null,"name":"a\u0001b","values":[1.5,null,null,null]}"#)
        let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertTrue(parsed["curvature_x"] is NSNull)
    }

    func testFiniteOutputIsUntouched() throws {
        let data = try LandscapeJSON.encode(Sample(curvatureX: 2, values: [0.25], name: "non-finite"))
        XCTAssertEqual(String(data: data, encoding: .utf8), #"{"curvature_x":2,"name":"non-finite","values":[0.25]}"#)
    }
}

/// Decoding failures are told as a reader would: the field as the file spells it and what was wrong.
final class LandscapeJSONDescribeTests: XCTestCase {
    private struct Inner: Codable { var pointCount: Int }
    private struct Outer: Codable { var name: String; var progress: Inner; var values: [Double] }

    private func failure(_ json: String) -> String {
        do { _ = try LandscapeJSON.decoder.decode(Outer.self, from: Data(json.utf8)); return "decoded" } catch {
            return LandscapeJSON.describe(error)
        }
    }

    func testEachKindOfFailureNamesTheField() {
        XCTAssertEqual(failure("{"), "not valid JSON")
        XCTAssertEqual(failure(#"{"name": "a", "values": []}"#), "field 'progress' is missing")
        XCTAssertEqual(failure(#"{"name": "a", "progress": {}, "values": []}"#), "field 'progress.point_count' is missing")
        XCTAssertEqual(failure(#"{"name": "a", "progress": {"point_count": "9"}, "values": []}"#),
                       "field 'progress.point_count': expected a number")
        XCTAssertEqual(failure(#"{"name": "a", "progress": {"point_count": 9}, "values": [1, "x"]}"#),
                       "field 'values[1]': expected a number")
        XCTAssertEqual(failure(#"{"name": null, "progress": {"point_count": 9}, "values": []}"#),
                       "field 'name' is null: expected a string")
    }
}
