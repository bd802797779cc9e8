/// He et al.'s option-A shortcut of a downsampling block: the block input
/// subsampled `x[:, :, ::2, ::2]` and zero-padded by outChannels/4 channels on
/// each side (akamaster's LambdaLayer). It has no parameters.
/// Both tensors are CNHW over the whole batch; functions touch only `images`.
enum OptionAShortcut {
    /// y[o][b][oy][ox] += x[o − out/4][b][2·oy][2·ox] where that channel exists.
    static func forwardAdd(_ x: UnsafePointer<Float>, inChannels: Int, inHeight: Int, inWidth: Int,
                           into y: UnsafeMutablePointer<Float>, outChannels: Int, batch: Int, images: Range<Int>) {
        let outH = (inHeight + 1) / 2, outW = (inWidth + 1) / 2
        let padding = outChannels / 4
        for o in 0..<outChannels {
            let c = o - padding
            guard c >= 0 && c < inChannels else { continue }
            for b in images {
                let source = x + (c * batch + b) * inHeight * inWidth
                let target = y + (o * batch + b) * outH * outW
                for oy in 0..<outH {
                    for ox in 0..<outW { target[oy * outW + ox] += source[2 * oy * inWidth + 2 * ox] }
                }
            }
        }
    }

    /// dx = the shortcut's share of the input gradient, written over `gradInput`
    /// (zeros where the subsampling skipped a pixel or a channel was cut).
    static func backward(_ gradOutput: UnsafePointer<Float>, outChannels: Int,
                         into gradInput: UnsafeMutablePointer<Float>, inChannels: Int, inHeight: Int, inWidth: Int,
                         batch: Int, images: Range<Int>) {
        let outH = (inHeight + 1) / 2, outW = (inWidth + 1) / 2
        let padding = outChannels / 4
        for c in 0..<inChannels {
            let o = c + padding
            for b in images {
                let target = gradInput + (c * batch + b) * inHeight * inWidth
                target.update(repeating: 0, count: inHeight * inWidth)
                guard o < outChannels else { continue }
                let source = gradOutput + (o * batch + b) * outH * outW
                for oy in 0..<outH {
                    for ox in 0..<outW { target[2 * oy * inWidth + 2 * ox] = source[oy * outW + ox] }
                }
            }
        }
    }
}
