import Foundation
import XCTest
import LandscapeEngine

final class ActivationParsingTests: XCTestCase {
    func testCanonicalNamesAreTheRawValues() {
        XCTAssertEqual(Activation.allDefaults.map(\.name),
                       ["relu", "swish", "mish", "gelu", "elu", "leaky_relu", "softplus", "tanh", "nish"])
    }

    func testEveryNameRoundTripsThroughParsing() throws {
        let nishes = [0.5, 2, 1e-3, 0.1 + 0.2, 123.456].map { Activation(.nish, parameter: $0) }
        for activation in Activation.allDefaults + nishes {
            XCTAssertEqual(try Activation(parsing: activation.name), activation, activation.name)
        }
    }

    func testNishNamesCarryANonDefaultParameter() throws {
        XCTAssertEqual(Activation(.nish, parameter: 0.5).name, "nish:0.5")
        XCTAssertEqual(try Activation(parsing: "nish:0.25").parameter, 0.25)
        XCTAssertEqual(try Activation(parsing: "nish:1"), Activation(.nish))
        XCTAssertEqual(try Activation(parsing: "nish:1").name, "nish")
        XCTAssertEqual(try Activation(parsing: "nish").parameter, 1)
    }

    func testAliasesCaseAndSurroundingSpaces() throws {
        XCTAssertEqual(try Activation(parsing: "silu"), Activation(.swish))
        XCTAssertEqual(try Activation(parsing: "SiLU"), Activation(.swish))
        XCTAssertEqual(try Activation(parsing: "leakyrelu"), Activation(.leakyRelu))
        XCTAssertEqual(try Activation(parsing: "Leaky_ReLU"), Activation(.leakyRelu))
        XCTAssertEqual(try Activation(parsing: " MISH\n"), Activation(.mish))
        XCTAssertEqual(try Activation(parsing: "NISH:0.5"), Activation(.nish, parameter: 0.5))
    }

    func testUnknownNameIsRejectedWithTheValidNames() {
        XCTAssertThrowsError(try Activation(parsing: "sigmoid")) { error in
            XCTAssertEqual(error as? ActivationError, .unknownName("sigmoid"))
            let message = "\(error)"
            for name in ["relu", "swish", "silu", "mish", "gelu", "elu", "leaky_relu", "leakyrelu",
                         "softplus", "tanh", "nish", "nish:<t>", "'sigmoid'"] {
                XCTAssertTrue(message.contains(name), "message lacks \(name): \(message)")
            }
        }
        XCTAssertThrowsError(try Activation(parsing: ""))
        XCTAssertThrowsError(try Activation(parsing: ":0.5"))
    }

    func testParameterOnAKindWithoutOneIsRejected() {
        XCTAssertThrowsError(try Activation(parsing: "relu:2")) { error in
            XCTAssertEqual(error as? ActivationError, .unexpectedParameter(name: "relu:2", kind: .relu))
        }
    }

    func testNishParameterMustBeAFinitePositiveNumber() {
        for bad in ["nish:0", "nish:-1", "nish:abc", "nish:", "nish:inf", "nish:nan", "nish:1:2"] {
            XCTAssertThrowsError(try Activation(parsing: bad), bad) { error in
                guard case .invalidParameter(let name, .nish, _)? = error as? ActivationError else {
                    return XCTFail("\(bad): \(error)")
                }
                XCTAssertEqual(name, bad)
                XCTAssertTrue("\(error)".contains("finite number > 0"), "\(error)")
            }
        }
        XCTAssertThrowsError(try Activation(validating: .nish, parameter: 0))
        XCTAssertThrowsError(try Activation(validating: .nish, parameter: .infinity))
        XCTAssertEqual(try Activation(validating: .nish, parameter: 0.5), Activation(.nish, parameter: 0.5))
        XCTAssertEqual(try Activation(validating: .relu, parameter: -3), Activation(.relu))
    }

    func testParameterOfKindsWithoutOneDoesNotAffectEquality() {
        XCTAssertEqual(Activation(.relu, parameter: 3), Activation(.relu))
        XCTAssertEqual(Activation(.mish, parameter: 3).parameter, 1)
        XCTAssertNotEqual(Activation(.nish, parameter: 3), Activation(.nish))
    }

    func testCodableUsesTheCanonicalNameString() throws {
        let activations = [Activation(.mish), Activation(.nish, parameter: 0.5), Activation(.leakyRelu)]
        let json = try JSONEncoder().encode(activations)
        XCTAssertEqual(String(decoding: json, as: UTF8.self), #"["mish","nish:0.5","leaky_relu"]"#)
        XCTAssertEqual(try JSONDecoder().decode([Activation].self, from: json), activations)
        XCTAssertEqual(try JSONDecoder().decode([Activation].self, from: Data(#"["SiLU"]"#.utf8)),
                       [Activation(.swish)])
    }

    func testDecodingAnUnknownNameFails() {
        XCTAssertThrowsError(try JSONDecoder().decode([Activation].self, from: Data(#"["bogus"]"#.utf8))) { error in
            XCTAssertTrue(error is DecodingError, "\(error)")
        }
    }

    func testDisplayNames() {
        XCTAssertEqual(Activation(.leakyRelu).displayName, "LeakyReLU")
        XCTAssertEqual(Activation(.gelu).displayName, "GELU")
        XCTAssertEqual(Activation(.nish, parameter: 0.5).displayName, "Nish (t = 0.5)")
        XCTAssertEqual("\(Activation(.nish, parameter: 0.5))", "nish:0.5")
    }
}
