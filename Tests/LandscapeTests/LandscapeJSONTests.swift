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
