import Foundation
import LandscapeCore

/// Which images of a dataset to evaluate or train on.
///
/// Every rule returns indices in ascending file order, so a subset is a set:
/// its content hash and any sum over it do not depend on the order of draws.
public enum SubsetRule: String, CaseIterable, Sendable, Codable {
    /// The first N images in file order.
    case first
    /// N distinct images drawn uniformly at random with the seed.
    case random
    /// N images spread over the classes as equally as possible (sizes differ
    /// by at most one, except for classes that run out of images), each class's
    /// images drawn at random with the seed.
    case balanced

    /// Seeded draws use this stream of `SeededGenerator`, so a subset seed
    /// equal to a direction seed does not replay the direction's numbers.
    static let generatorStream: UInt64 = 0x5355_4253   // "SUBS"

    public func indices(in dataset: ImageDataset, count: Int, seed: UInt64) throws -> [Int] {
        guard count >= 1, count <= dataset.count else {
            throw DatasetError.badSubset(rule: rawValue, requested: count, available: dataset.count)
        }
        var generator = SeededGenerator(seed: seed, stream: Self.generatorStream)
        switch self {
        case .first:
            return Array(0..<count)
        case .random:
            return Self.sample(Array(0..<dataset.count), count, &generator).sorted()
        case .balanced:
            var byClass = [[Int]](repeating: [], count: Int(dataset.labels.max() ?? 0) + 1)
            for (index, label) in dataset.labels.enumerated() { byClass[Int(label)].append(index) }
            let quotas = Self.quotas(available: byClass.map(\.count), total: count, generator: &generator)
            var chosen: [Int] = []
            chosen.reserveCapacity(count)
            for (members, quota) in zip(byClass, quotas) where quota > 0 {
                chosen += Self.sample(members, quota, &generator)
            }
            return chosen.sorted()
        }
    }

    /// How many images each class gives: the highest equal level L that the
    /// classes (capped at what they hold) can fill, then one more each for
    /// `total - filled` classes above L, picked in a seeded random order.
    /// So open classes differ by at most one image.
    static func quotas(available: [Int], total: Int, generator: inout SeededGenerator) -> [Int] {
        var quotas = [Int](repeating: 0, count: available.count)
        var open = available.indices.filter { available[$0] > 0 }
        generator.shuffle(&open)
        var remaining = total
        while !open.isEmpty {
            let level = remaining / open.count
            let exhausted = open.filter { available[$0] <= level }
            if exhausted.isEmpty {
                let extra = remaining % open.count
                for (position, label) in open.enumerated() { quotas[label] = level + (position < extra ? 1 : 0) }
                break
            }
            // Classes too small for the level give everything; the level rises for the rest.
            for label in exhausted { quotas[label] = available[label]; remaining -= available[label] }
            open.removeAll { available[$0] <= level }
        }
        return quotas
    }

    /// `count` distinct elements by a partial Fisher–Yates shuffle.
    static func sample(_ elements: [Int], _ count: Int, _ generator: inout SeededGenerator) -> [Int] {
        var pool = elements
        for i in 0..<count { pool.swapAt(i, i + generator.uniform(below: pool.count - i)) }
        return Array(pool[..<count])
    }
}
