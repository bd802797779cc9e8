import Foundation
import HTTPServer
import Landscape
import LandscapePictures
import LandscapeEngine

/// Parameters shared by the activation and output-landscape endpoints,
/// parsed from the query with the same checks as the CLI.
struct ActivationQuery {
    static let maximumNames = 8
    static let maximumPoints = 4001

    let activations: [Activation]
    let range: ClosedRange<Double>
    let points: Int

    init(_ query: [String: String], namesKey: String = "names", defaultNames: String = "relu,swish,mish",
         defaultRange: String = "-5:5", defaultPoints: Int = 401) throws {
        do {
            activations = try Pictures.activations(parsing: query[namesKey] ?? defaultNames, maximumCount: Self.maximumNames)
        } catch {
            throw ServiceError.badRequest("\(namesKey): \(error)")
        }
        do { range = try Pictures.range(parsing: query["range"] ?? defaultRange) } catch {
            throw ServiceError.badRequest("range: \(error)")
        }
        let points = query["points"].map { Int($0) } ?? defaultPoints
        guard let points, (2...Self.maximumPoints).contains(points) else {
            throw ServiceError.badRequest("points: expected an integer in 2...\(Self.maximumPoints)")
        }
        self.points = points
    }

    var xs: [Double] { Pictures.samples(range, count: points) }
}

/// f, f′, f″ of activations as JSON, with each function's minimum found numerically.
enum ActivationCurves {
    struct Curve: Encodable {
        struct Minimum: Encodable { let x: Double; let value: Double }
        let name: String
        let displayName: String
        let f: [Double]
        let df: [Double]
        let d2f: [Double]
        let minimum: Minimum?
    }

    struct Body: Encodable { let x: [Double]; let activations: [Curve] }

    static func body(_ query: ActivationQuery) -> Body {
        let xs = query.xs
        return Body(x: xs, activations: query.activations.map { activation in
            let minimum = Pictures.interiorMinimum(of: activation, in: query.range).map { Curve.Minimum(x: $0.x, value: $0.value) }
            return Curve(name: activation.name, displayName: activation.displayName,
                         f: xs.map(activation.value), df: xs.map(activation.derivative),
                         d2f: xs.map(activation.secondDerivative), minimum: minimum)
        })
    }
}
