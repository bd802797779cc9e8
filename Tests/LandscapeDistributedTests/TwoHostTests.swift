import Foundation
import XCTest
import Landscape

/// Two "hosts" on one machine: two network namespaces joined by a veth pair, each with a
/// hostname of its own (a UTS namespace). mpirun runs in the first; OpenMPI's remote launch
/// (plm_rsh_agent) is a wrapper that runs the daemon inside the second instead of over ssh;
/// MPI's traffic is forced onto TCP (btl tcp,self) over the veth. Needs root (`ip netns`).
final class TwoHostTests: XCTestCase {
    private var namespaces: [String] = []

    override func tearDown() {
        for name in namespaces { _ = Self.shell("ip netns del \(name)") }
        namespaces = []
    }

    @discardableResult
    static func shell(_ command: String) -> (status: Int32, output: String) {
        guard let run = try? Child("/bin/sh", ["-c", command]) else { return (-1, "cannot run /bin/sh") }
        run.process.waitUntilExit()
        return (run.process.terminationStatus, run.output)
    }

    func testTwoRanksOnTwoNetworkStacksWriteTheSingleProcessSurface() throws {
        let (mpirun, binary) = (try MPIFixture.mpirun(), try MPIFixture.binary())
        let tag = String(getpid() % 100_000)
        let (first, second) = ("lsa\(tag)", "lsb\(tag)")
        guard Self.shell("ip netns add \(first)").status == 0 else {
            throw XCTSkip("cannot create a network namespace here (`ip netns` needs root and iproute2)")
        }
        namespaces.append(first)
        let setup = [
            "ip netns add \(second)",
            "ip link add va\(tag) type veth peer name vb\(tag)",
            "ip link set va\(tag) netns \(first)", "ip link set vb\(tag) netns \(second)",
            "ip -n \(first) addr add 10.77.0.1/24 dev va\(tag)", "ip -n \(second) addr add 10.77.0.2/24 dev vb\(tag)",
            "ip -n \(first) link set va\(tag) up", "ip -n \(second) link set vb\(tag) up",
            "ip -n \(first) link set lo up", "ip -n \(second) link set lo up",
        ]
        namespaces.append(second)
        for command in setup {
            let result = Self.shell(command)
            XCTAssertEqual(result.status, 0, "\(command): \(result.output)")
        }
        let directory = MPIFixture.temporaryDirectory()
        let agent = directory.appendingPathComponent("netns-agent")
        // OpenMPI calls the agent as ssh: HOST, then the command line for the remote shell.
        try """
        #!/bin/sh
        host=$1; shift
        exec ip netns exec \(second) unshare --uts sh -c "hostname node2; $*"
        """.write(to: agent, atomically: true, encoding: .utf8)
        chmod(agent.path, 0o755)
        let out = directory.appendingPathComponent("surfaces")
        let launch = ([mpirun] + MPIFixture.mpirunArguments(ranks: 2) + [
            "--host", "10.77.0.1:1,10.77.0.2:1", "--mca", "plm_rsh_agent", agent.path, "--mca", "btl", "tcp,self",
            "--mca", "oob_tcp_if_include", "10.77.0.0/24", "--mca", "btl_tcp_if_include", "10.77.0.0/24", binary,
        ] + MPIFixture.surfaceArguments(out: out)).joined(separator: " ")
        let run = try Child("/usr/sbin/ip", ["netns", "exec", first, "unshare", "--uts", "sh", "-c", "hostname node1; \(launch)"])
        XCTAssertEqual(run.wait(atMost: 300), 0, run.output)
        XCTAssertTrue(run.output.contains("2 ranks on node1, node2"), "ranks on both hosts:\n\(run.output)")
        let surface = try XCTUnwrap(try MPIFixture.surface(in: out), run.output)

        let single = directory.appendingPathComponent("single")
        let plain = try Child(binary, MPIFixture.surfaceArguments(out: single))
        XCTAssertEqual(plain.wait(atMost: 300), 0, plain.output)
        let expected = try XCTUnwrap(try MPIFixture.surface(in: single))
        XCTAssertEqual(surface.progress.computed, 49)
        XCTAssertEqual(surface.loss, expected.loss)
        XCTAssertEqual(surface.accuracy, expected.accuracy)
        XCTAssertEqual(surface.lossStderr, expected.lossStderr)
    }
}
