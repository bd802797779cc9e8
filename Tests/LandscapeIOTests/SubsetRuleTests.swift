import Foundation
import XCTest
@testable import LandscapeIO
import LandscapeCore

final class SubsetRuleTests: XCTestCase {
    /// 1x1 grey images with the given labels.
    func dataset(labels: [UInt8]) throws -> ImageDataset {
        try ImageDataset(name: "test", split: .train, channels: 1, height: 1, width: 1, labels: labels,
                         pixels: labels, classNames: (0..<10).map(String.init), sourcePath: "memory")
    }

    /// Class counts 0: 50, 1: 3, 2: 20, 3: none, 4: 27.
    func unevenDataset() throws -> ImageDataset {
        var labels = [UInt8](repeating: 0, count: 50) + [1, 1, 1] + [UInt8](repeating: 2, count: 20)
            + [UInt8](repeating: 4, count: 27)
        var generator = SeededGenerator(seed: 99)
        generator.shuffle(&labels)
        return try dataset(labels: labels)
    }

    func perClass(_ indices: [Int], _ data: ImageDataset) -> [Int] {
        (0..<10).map { c in indices.filter { data.labels[$0] == c }.count }
    }

    func testFirstTakesTheFirstImagesInFileOrder() throws {
        let data = try unevenDataset()
        XCTAssertEqual(try SubsetRule.first.indices(in: data, count: 7, seed: 123), Array(0..<7))
    }

    func testRandomIsDeterministicSortedDistinctAndDependsOnTheSeed() throws {
        let data = try unevenDataset()
        let a = try SubsetRule.random.indices(in: data, count: 30, seed: 1)
        XCTAssertEqual(a, try SubsetRule.random.indices(in: data, count: 30, seed: 1))
        XCTAssertEqual(a, a.sorted())
        XCTAssertEqual(Set(a).count, 30)
        XCTAssertTrue(a.allSatisfy { (0..<100).contains($0) })
        XCTAssertNotEqual(a, try SubsetRule.random.indices(in: data, count: 30, seed: 2))
        XCTAssertEqual(try SubsetRule.random.indices(in: data, count: 100, seed: 5), Array(0..<100))
    }

    func testRandomPicksEveryIndexEquallyOften() throws {
        // 2000 draws of 5 of 20: each index is chosen 500 times on average, std ~19.4.
        let data = try dataset(labels: [UInt8](repeating: 0, count: 20))
        var hits = [Int](repeating: 0, count: 20)
        for seed in 0..<2000 {
            for i in try SubsetRule.random.indices(in: data, count: 5, seed: UInt64(seed)) { hits[i] += 1 }
        }
        XCTAssertTrue(hits.allSatisfy { abs($0 - 500) < 100 }, "\(hits)")
    }

    func testBalancedTakesEqualSharesAndGivesAnExhaustedClassShareToTheRest() throws {
        let data = try unevenDataset()
        let indices = try SubsetRule.balanced.indices(in: data, count: 40, seed: 7)
        XCTAssertEqual(indices.count, 40)
        XCTAssertEqual(Set(indices).count, 40)
        XCTAssertEqual(indices, indices.sorted())
        let counts = perClass(indices, data)
        // Level 10 is too much for class 1 (3 images); the other 37 split 13/12/12.
        XCTAssertEqual(counts[1], 3)
        XCTAssertEqual(counts[3], 0)
        XCTAssertEqual([counts[0], counts[2], counts[4]].sorted(), [12, 12, 13])
        XCTAssertEqual(indices, try SubsetRule.balanced.indices(in: data, count: 40, seed: 7))
    }

    func testBalancedSizesDifferByAtMostOneAndTheSeedPicksWhichClassesGetMore() throws {
        let labels = (0..<200).map { UInt8($0 % 10) }
        let data = try dataset(labels: labels)
        XCTAssertEqual(perClass(try SubsetRule.balanced.indices(in: data, count: 20, seed: 0), data), [Int](repeating: 2, count: 10))
        var favoured = Set<[Int]>()
        for seed: UInt64 in 0..<8 {
            let counts = perClass(try SubsetRule.balanced.indices(in: data, count: 25, seed: seed), data)
            XCTAssertEqual(counts.reduce(0, +), 25)
            XCTAssertEqual(counts.max()! - counts.min()!, 1, "\(counts)")
            favoured.insert(counts)
        }
        XCTAssertGreaterThan(favoured.count, 1, "every seed gave the extra images to the same classes")
    }

    func testBalancedOfTheWholeDatasetIsEveryImage() throws {
        let data = try unevenDataset()
        XCTAssertEqual(try SubsetRule.balanced.indices(in: data, count: 100, seed: 3), Array(0..<100))
    }

    func testBalancedDiffersBetweenSeeds() throws {
        let data = try unevenDataset()
        XCTAssertNotEqual(try SubsetRule.balanced.indices(in: data, count: 40, seed: 1),
                          try SubsetRule.balanced.indices(in: data, count: 40, seed: 2))
    }

    func testCountsOutsideOneToTheDatasetSizeAreRejected() throws {
        let data = try unevenDataset()
        for rule in SubsetRule.allCases {
            XCTAssertEqual(DatasetFiles.expectError { _ = try rule.indices(in: data, count: 0, seed: 0) },
                           .badSubset(rule: rule.rawValue, requested: 0, available: 100))
            XCTAssertEqual(DatasetFiles.expectError { _ = try rule.indices(in: data, count: 101, seed: 0) },
                           .badSubset(rule: rule.rawValue, requested: 101, available: 100))
        }
    }
}
