import Foundation

/// A restricted pickle reader (protocols 0–5 binary opcodes, the subset
/// `torch.save` emits for state dicts). It builds `PickleValue`s and
/// *interprets* the allow-listed callables of `PickleGlobal`; it has no way
/// to import modules or call functions, so a malicious pickle is an error,
/// never an action. Several pickles may follow each other in one buffer
/// (PyTorch's legacy format): `load()` reads one and leaves `position`
/// after its STOP.
struct Unpickler {
    /// Deepest object accepted: lists, dicts and tuples nested 1,000 levels.
    /// A PyTorch state dict needs 4 (dict → OrderedDict → tensor arguments →
    /// size tuple); the limit only keeps a hostile pickle from building a
    /// tree whose release recurses 500,000 times and overflows the thread's stack.
    static let maxDepth = 1_000
    /// Most opcodes in one pickle: 2 million. ResNet-20's data.pkl has 3,075;
    /// ResNet-1202 with optimizer state would have about 550,000. Each opcode
    /// adds at most one value, so this bounds the objects a pickle can create.
    static let maxOpcodes = 2_000_000

    let bytes: [UInt8]
    let source: String
    var position: Int
    /// Turns a BINPERSID id into a storage (the caller knows the format).
    let persistentLoad: (PickleValue) throws -> PickleValue

    /// The pickle machine's stack, marks and memo. They live in an object,
    /// not in this struct: Swift copies the struct to call a non-mutating
    /// helper whose arguments pop (`setItems(dict, popMark())`), and a copied
    /// struct shares its arrays, so every such pop copied the whole stack
    /// (quadratic: a pickle of 200,000 MARKs took minutes). Copies of an
    /// Unpickler therefore share one machine; none is made outside a load.
    private final class Machine {
        var stack: [PickleValue] = []
        var marks: [Int] = []
        var memo: [Int: PickleValue] = [:]
    }
    private let machine = Machine()
    private var opcodeStart = 0

    init(bytes: [UInt8], source: String, position: Int = 0,
         persistentLoad: @escaping (PickleValue) throws -> PickleValue = { _ in .none }) {
        self.bytes = bytes
        self.source = source
        self.position = position
        self.persistentLoad = persistentLoad
    }

    /// Reads one pickle up to its STOP and returns the object it describes.
    mutating func load() throws -> PickleValue {
        (machine.stack, machine.marks, machine.memo) = ([], [], [:])
        var executed = 0
        while true {
            opcodeStart = position
            executed += 1
            guard executed <= Unpickler.maxOpcodes else {
                throw problem("more than \(Unpickler.maxOpcodes) opcodes in one pickle, the limit")
            }
            let opcode = try byte()
            if opcode == 0x2e {  // STOP
                guard machine.stack.count == 1, machine.marks.isEmpty else {
                    throw problem("STOP with \(machine.stack.count) objects on the stack")
                }
                return machine.stack.removeLast()
            }
            try execute(opcode)
        }
    }

    private mutating func execute(_ opcode: UInt8) throws {
        switch opcode {
        case 0x80: _ = try byte()                                           // PROTO
        case 0x95: _ = try read(8)                                          // FRAME: a size hint only
        case 0x28: machine.marks.append(machine.stack.count)                                // MARK
        case 0x29: machine.stack.append(.tuple([], height: 1))                      // EMPTY_TUPLE
        case 0x5d: machine.stack.append(.list(PickleList()))                        // EMPTY_LIST
        case 0x7d: machine.stack.append(.dict(PickleDict()))                        // EMPTY_DICT
        case 0x8f: machine.stack.append(.list(PickleList()))                        // EMPTY_SET, kept as a list
        case 0x4e: machine.stack.append(.none)                                      // NONE
        case 0x88: machine.stack.append(.bool(true))                                // NEWTRUE
        case 0x89: machine.stack.append(.bool(false))                               // NEWFALSE
        case 0x4a: machine.stack.append(.int(Int(Int32(truncatingIfNeeded: try uint(4)))))  // BININT
        case 0x4b: machine.stack.append(.int(try uint(1)))                          // BININT1
        case 0x4d: machine.stack.append(.int(try uint(2)))                          // BININT2
        case 0x8a: machine.stack.append(try long(try uint(1)))                      // LONG1
        case 0x8b: machine.stack.append(try long(try uint(4)))                      // LONG4
        case 0x47: machine.stack.append(.float(Double(bitPattern: try read(8).reduce(0) { $0 << 8 | UInt64($1) })))  // BINFLOAT, big-endian
        case 0x58: machine.stack.append(.string(try text(try uint(4))))             // BINUNICODE
        case 0x8d: machine.stack.append(.string(try text(try uint(8))))             // BINUNICODE8
        case 0x8c: machine.stack.append(.string(try text(try uint(1))))             // SHORT_BINUNICODE
        case 0x54: machine.stack.append(.string(try text(try uint(4))))             // BINSTRING
        case 0x55: machine.stack.append(.string(try text(try uint(1))))             // SHORT_BINSTRING
        case 0x42: machine.stack.append(.bytes(Array(try read(try uint(4)))))       // BINBYTES
        case 0x43: machine.stack.append(.bytes(Array(try read(try uint(1)))))       // SHORT_BINBYTES
        case 0x8e, 0x96: machine.stack.append(.bytes(Array(try read(try uint(8))))) // BINBYTES8, BYTEARRAY8
        case 0x71: machine.memo[try uint(1)] = try top()                            // BINPUT
        case 0x72: machine.memo[try uint(4)] = try top()                            // LONG_BINPUT
        case 0x94: machine.memo[machine.memo.count] = try top()                             // MEMOIZE
        case 0x68: machine.stack.append(try recall(try uint(1)))                    // BINGET
        case 0x6a: machine.stack.append(try recall(try uint(4)))                    // LONG_BINGET
        case 0x30: _ = try pop()                                            // POP
        case 0x31: _ = try popMark()                                        // POP_MARK
        case 0x32: machine.stack.append(try top())                                  // DUP
        case 0x74: machine.stack.append(try tuple(try popMark()))                   // TUPLE
        case 0x85: machine.stack.append(try tuple(try pop(1)))                      // TUPLE1
        case 0x86: machine.stack.append(try tuple(try pop(2)))                      // TUPLE2
        case 0x87: machine.stack.append(try tuple(try pop(3)))                      // TUPLE3
        case 0x6c, 0x91:                                                    // LIST, FROZENSET
            let items = try popMark()
            machine.stack.append(.list(PickleList(items, height: try nest(items))))
        case 0x64:                                                          // DICT
            let dict = PickleDict()
            try setItems(dict, try popMark())
            machine.stack.append(.dict(dict))
        case 0x61:                                                          // APPEND
            let item = try pop()
            let target = try list(try top())
            try add([item], to: target)
            target.items.append(item)
        case 0x65, 0x90:                                                    // APPENDS, ADDITEMS
            let items = try popMark()
            let target = try list(try top())
            try add(items, to: target)
            target.items.append(contentsOf: items)
        case 0x73:                                                          // SETITEM
            let pair = try pop(2)
            try setItems(try dict(try top()), pair)
        case 0x75:                                                          // SETITEMS
            let items = try popMark()
            try setItems(try dict(try top()), items)
        case 0x63:                                                          // GLOBAL "module\nname\n"
            let module = try line(), name = try line()
            machine.stack.append(.global(try global(module, name)))
        case 0x93:                                                          // STACK_GLOBAL
            let names = try pop(2)
            guard let module = names[0].stringValue, let name = names[1].stringValue else {
                throw problem("STACK_GLOBAL needs two strings, got \(names[0].kind) and \(names[1].kind)")
            }
            machine.stack.append(.global(try global(module, name)))
        case 0x52, 0x81:                                                    // REDUCE, NEWOBJ
            let arguments = try pop(), callable = try pop()
            guard case .global(let global) = callable, let values = arguments.tupleValue else {
                throw problem("call of a \(callable.kind) with \(arguments.kind) arguments; only allow-listed globals may be called")
            }
            machine.stack.append(try call(global, values))
        case 0x92:                                                          // NEWOBJ_EX
            let parts = try pop(3)
            guard case .global(let global) = parts[0], let values = parts[1].tupleValue else {
                throw problem("NEWOBJ_EX of a \(parts[0].kind); only allow-listed globals may be called")
            }
            machine.stack.append(try call(global, values))
        case 0x62:                                                          // BUILD
            let state = try pop()
            switch try top() {
            case .dict, .tensor: break  // OrderedDict `_metadata`, tensor hooks: nothing we need
            case let other: throw problem("BUILD on a \(other.kind) with \(state.kind) state; only dicts and tensors accept state")
            }
        case 0x51:                                                          // BINPERSID
            machine.stack.append(try persistentLoad(try pop()))
        default:
            throw problem("unsupported opcode 0x\(String(opcode, radix: 16)) (text-protocol, extension or buffer opcodes are not accepted)")
        }
    }

    // MARK: Interpreting the allow-listed callables

    private func call(_ global: PickleGlobal, _ arguments: [PickleValue]) throws -> PickleValue {
        switch global {
        case .orderedDict:
            let dict = PickleDict()
            if let pairs = arguments.first?.tupleValue {  // OrderedDict([(k, v), ...])
                for pair in pairs {
                    guard let kv = pair.tupleValue, kv.count == 2 else { throw problem("OrderedDict item is not a pair") }
                    try add(kv, to: dict)
                    dict.set(kv[0], kv[1])
                }
            }
            return .dict(dict)
        case .rebuildTensor, .rebuildTensorV2:
            guard arguments.count >= 4, case .storage(let storage) = arguments[0], let offset = arguments[1].intValue,
                  let size = arguments[2].tupleValue?.compactMap(\.intValue), size.count == arguments[2].tupleValue?.count,
                  let stride = arguments[3].tupleValue?.compactMap(\.intValue), stride.count == size.count
            else { throw problem("\(global.qualifiedName) expects (storage, offset, size, stride, ...), got \(arguments.map(\.kind))") }
            return .tensor(TorchTensor(storage: storage, offset: offset, size: size, stride: stride))
        case .rebuildParameter:
            guard let data = arguments.first, case .tensor = data else {
                throw problem("torch._utils._rebuild_parameter expects a tensor first, got \(arguments.first?.kind ?? "nothing")")
            }
            return data
        case .storageType:
            throw problem("\(global.qualifiedName) may only appear in a persistent id, not be called")
        }
    }

    private func global(_ module: String, _ name: String) throws -> PickleGlobal {
        guard let global = PickleGlobal(module: module, name: name) else {
            throw CheckpointError.forbiddenGlobal(source: source, name: "\(module).\(name)")
        }
        return global
    }

    // MARK: Stack and memo

    private func problem(_ text: String) -> CheckpointError {
        guard opcodeStart < bytes.count else { return .pickle(source: source, offset: opcodeStart, problem: text) }
        return .pickle(source: source, offset: opcodeStart, problem: "opcode 0x\(String(bytes[opcodeStart], radix: 16)): \(text)")
    }

    private func top() throws -> PickleValue {
        // Objects below the last MARK are out of reach until it is popped, as in CPython.
        guard let value = machine.stack.last, machine.stack.count > (machine.marks.last ?? 0) else { throw problem("stack underflow") }
        return value
    }

    private mutating func pop() throws -> PickleValue {
        guard machine.stack.count > (machine.marks.last ?? 0) else { throw problem("stack underflow") }
        return machine.stack.removeLast()
    }

    private mutating func pop(_ count: Int) throws -> [PickleValue] {
        guard machine.stack.count - count >= (machine.marks.last ?? 0) else { throw problem("stack underflow (needs \(count) objects)") }
        let items = Array(machine.stack[(machine.stack.count - count)...])
        machine.stack.removeLast(count)
        return items
    }

    private mutating func popMark() throws -> [PickleValue] {
        guard let mark = machine.marks.popLast() else { throw problem("no MARK on the stack") }
        let items = Array(machine.stack[mark...])
        machine.stack.removeLast(machine.stack.count - mark)
        return items
    }

    private func recall(_ key: Int) throws -> PickleValue {
        guard let value = machine.memo[key] else { throw problem("memo key \(key) was never stored") }
        return value
    }

    private func list(_ value: PickleValue) throws -> PickleList {
        guard case .list(let list) = value else { throw problem("append to a \(value.kind), expected a list") }
        return list
    }

    private func dict(_ value: PickleValue) throws -> PickleDict {
        guard case .dict(let dict) = value else { throw problem("set item on a \(value.kind), expected a dict") }
        return dict
    }

    private func setItems(_ dict: PickleDict, _ items: [PickleValue]) throws {
        guard items.count % 2 == 0 else { throw problem("odd number of items for a dict") }
        try add(items, to: dict)
        for i in stride(from: 0, to: items.count, by: 2) { dict.set(items[i], items[i + 1]) }
    }

    // MARK: Nesting depth

    /// A tuple of `items`, its height checked.
    private func tuple(_ items: [PickleValue]) throws -> PickleValue {
        .tuple(items, height: try nest(items))
    }

    /// The height of a new container holding `children`, which are marked as
    /// nested; an error past `maxDepth`.
    private func nest(_ children: [PickleValue]) throws -> Int {
        var height = 1
        for child in children {
            child.container?.isNested = true
            height = max(height, child.height + 1)
        }
        guard height <= Unpickler.maxDepth else {
            throw problem("objects nested \(height) levels deep, more than the limit of \(Unpickler.maxDepth) "
                + "(a state dict needs 4)")
        }
        return height
    }

    /// Accounts for `children` being added to an existing list or dict. A
    /// container that is already inside another object may not become deeper
    /// (its parents' heights would be stale): well-formed pickles fill a
    /// container before placing it, and a container holding itself is refused.
    private func add(_ children: [PickleValue], to container: PickleContainer) throws {
        let height = try nest(children)
        guard height > container.height else { return }
        guard !container.isNested else {
            throw problem("adds deeper items to a list or dict that is already inside another object (or inside itself); "
                + "refused, since its nesting depth could then exceed the limit of \(Unpickler.maxDepth) unnoticed")
        }
        container.height = height
    }

    // MARK: Reading bytes

    private mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw problem("pickle ends before its STOP opcode (truncated)") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func read(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.count - position else {
            throw problem("needs \(count) bytes, only \(bytes.count - position) left (truncated)")
        }
        defer { position += count }
        return bytes[position..<position + count]
    }

    /// An unsigned little-endian integer of `size` bytes that must fit in Int.
    private mutating func uint(_ size: Int) throws -> Int {
        let raw = try read(size)
        guard size < 8 || raw.last! < 0x80 else { throw problem("length field too large") }
        return raw.reversed().reduce(0) { $0 << 8 | Int($1) }
    }

    private mutating func text(_ count: Int) throws -> String { String(decoding: try read(count), as: UTF8.self) }

    private mutating func line() throws -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0a) else { throw problem("GLOBAL name without newline") }
        defer { position = end + 1 }
        return String(decoding: bytes[position..<end], as: UTF8.self)
    }

    /// LONG1/LONG4: little-endian two's complement of `count` bytes.
    private mutating func long(_ count: Int) throws -> PickleValue {
        let raw = Array(try read(count))
        guard count <= 8 else { return .bigInt(raw) }
        guard let last = raw.last else { return .int(0) }
        var value = last >= 0x80 ? -1 : 0
        for byte in raw.reversed() { value = value << 8 | Int(byte) }
        return .int(value)
    }
}
