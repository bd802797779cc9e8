import Foundation
import HTTPServer
import Landscape
import LandscapeEngine

/// Parameters shared by the activation and output-landscape endpoints,
/// parsed from the query with the same checks as the CLI.
struct ActivationQuery {
    static let maximumNames = 8
    static let maximumPoints = 4001
    static let maximumRange = 1e4     // the activations are stable to |x| = 1e4

    let activations: [Activation]
    let range: ClosedRange<Double>
    let points: Int

    init(_ query: [String: String], namesKey: String = "names", defaultNames: String = "relu,swish,mish",
         defaultRange: String = "-5:5", defaultPoints: Int = 401) throws {
        let names = (query[namesKey] ?? defaultNames).split(separator: ",").map(String.init).filter { !$0.isEmpty }
        guard (1...Self.maximumNames).contains(names.count) else {
            throw ServiceError.badRequest("\(namesKey): expected 1...\(Self.maximumNames) comma-separated activations")
        }
        do { activations = try names.map { try Activation(parsing: $0) } } catch {
            throw ServiceError.badRequest("\(namesKey): \(error)")
        }
        range = try Self.range(query["range"] ?? defaultRange)
        let points = query["points"].map { Int($0) } ?? defaultPoints
        guard let points, (2...Self.maximumPoints).contains(points) else {
            throw ServiceError.badRequest("points: expected an integer in 2...\(Self.maximumPoints)")
        }
        self.points = points
    }

    static func range(_ text: String) throws -> ClosedRange<Double> {
        let parts = text.split(separator: ":").map { Double($0) }
        guard parts.count == 2, let low = parts[0], let high = parts[1], low.isFinite, high.isFinite, low < high,
              abs(low) <= maximumRange, abs(high) <= maximumRange else {
            throw ServiceError.badRequest("range '\(text)': expected LOW:HIGH with LOW < HIGH and |values| <= \(Int(maximumRange))")
        }
        return low...high
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
