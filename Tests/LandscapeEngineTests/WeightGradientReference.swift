import XCTest

/// The float64 check both Winograd weight-gradient tests run: dW[o][c][dy][dx] after adding the
/// stride-1, padding-1 3×3 weight gradient of images 1...n of a CNHW batch of n + 2 (x: c planes,
/// dz: o planes) onto `start`, summed from the definition.
enum WeightGradientReference {
    /// Fails (at most 5 messages, prefixed by `label`) where |got − (start + Σ terms)| > tolerance × Σ|terms|
    /// (at least tolerance); returns the worst error relative to Σ|terms|.
    @discardableResult
    static func check(_ got: [Float], start: [Float], x: [Float], dz: [Float], h: Int, w: Int, c: Int, o: Int, n: Int,
                      tolerance: Double, label: String, file: StaticString = #filePath, line: UInt = #line) -> Double {
        let plane = h * w, batch = n + 2
        var worst = 0.0
        var failures = 0
        for oo in 0..<o { for cc in 0..<c { for dy in 0..<3 { for dx in 0..<3 {
            var sum = 0.0, magnitude = 0.0
            for b in 1...n { for y in 0..<h { for xx in 0..<w {
                let iy = y + dy - 1, ix = xx + dx - 1
                guard iy >= 0 && iy < h && ix >= 0 && ix < w else { continue }
                let term = Double(dz[(oo * batch + b) * plane + y * w + xx]) * Double(x[(cc * batch + b) * plane + iy * w + ix])
                sum += term
                magnitude += abs(term)
            } } }
            let index = (oo * c + cc) * 9 + dy * 3 + dx
            let error = abs(Double(got[index]) - (Double(start[index]) + sum))
            worst = max(worst, error / max(magnitude, 1))
            if error > tolerance * max(magnitude, 1) && failures < 5 {
                failures += 1
                XCTFail("\(label) \(h)x\(w) C\(c) O\(o) n\(n): dW[\(oo)][\(cc)][\(dy)][\(dx)] = \(got[index]), "
                        + "expected \(Double(start[index]) + sum) (error \(error), Σ|terms| \(magnitude))", file: file, line: line)
            }
        } } } }
        return worst
    }
}
