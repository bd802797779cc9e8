import CHDF5
import Foundation

/// An HDF5 file held in memory (the library's "core" driver, no backing
/// store): written files come out as bytes for LandscapeIO's atomic writer,
/// read files come in as bytes read under a size cap, so the C library never
/// touches a path and a failure can never leave half a file behind.
/// The only type that calls the HDF5 C API. Debian's serial HDF5 is not
/// thread-safe, so every use runs under one process-wide lock.
final class HDF5File {
    /// HDF5's `H5P_DEFAULT` / `H5S_ALL` (both `(hid_t)0`).
    private static let defaultList: hid_t = 0
    private static let lock = NSLock()
    /// Growth step of the in-memory file (bytes).
    private static let coreIncrement = 1 << 20

    let id: hid_t
    /// What error messages call the file: its path or the name it is being written as.
    let source: String

    private init(id: hid_t, source: String) { self.id = id; self.source = source }
    deinit { H5Fclose(id) }

    /// Runs `body` under the process-wide HDF5 lock with HDF5's own error printing off.
    static func withLibrary<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock(); defer { lock.unlock() }
        landscape_h5_silence_errors()
        return try body()
    }

    /// A new, empty in-memory file. Call inside `withLibrary`.
    static func create(source: String) throws -> HDF5File {
        let fapl = H5Pcreate(landscape_h5p_file_access())
        defer { H5Pclose(fapl) }
        guard fapl >= 0, H5Pset_fapl_core(fapl, coreIncrement, false) >= 0 else { throw fail(source, "set up an in-memory file") }
        let id = H5Fcreate("landscape-export.h5", landscape_h5f_acc_trunc(), defaultList, fapl)
        guard id >= 0 else { throw fail(source, "create the in-memory file") }
        return HDF5File(id: id, source: source)
    }

    /// Opens `bytes` (a whole HDF5 file) read-only. Call inside `withLibrary`.
    static func open(bytes: [UInt8], source: String) throws -> HDF5File {
        guard bytes.count >= 8, bytes[0..<8].elementsEqual([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]) else {
            throw ExportError.notHDF5(path: source)
        }
        let fapl = H5Pcreate(landscape_h5p_file_access())
        defer { H5Pclose(fapl) }
        guard fapl >= 0, H5Pset_fapl_core(fapl, coreIncrement, false) >= 0 else { throw fail(source, "set up an in-memory file") }
        var copy = bytes
        let status = copy.withUnsafeMutableBytes { H5Pset_file_image(fapl, $0.baseAddress, $0.count) }
        guard status >= 0 else { throw fail(source, "load the file image") }
        let id = H5Fopen("landscape-import.h5", landscape_h5f_acc_rdonly(), fapl)
        guard id >= 0 else { throw ExportError.notHDF5(path: source) }
        return HDF5File(id: id, source: source)
    }

    /// The whole file as bytes.
    func image() throws -> Data {
        guard H5Fflush(id, H5F_SCOPE_GLOBAL) >= 0 else { throw Self.fail(source, "flush") }
        let size = H5Fget_file_image(id, nil, 0)
        guard size > 0 else { throw Self.fail(source, "size the file image") }
        var data = Data(count: size)
        let copied = data.withUnsafeMutableBytes { H5Fget_file_image(id, $0.baseAddress, size) }
        guard copied == size else { throw Self.fail(source, "copy the file image") }
        return data
    }

    // MARK: writing

    /// A group (h5py's `create_group`).
    func createGroup(_ path: String) throws {
        let group = H5Gcreate2(id, path, Self.defaultList, Self.defaultList, Self.defaultList)
        guard group >= 0 else { throw Self.fail(source, "create group \(path)") }
        H5Gclose(group)
    }

    /// A float64 dataset of shape `shape` (row-major `values`).
    func write(_ path: String, _ values: [Double], shape: [Int]) throws {
        try write(path, shape: shape, fileType: landscape_h5t_ieee_f64le(), memoryType: landscape_h5t_native_double(), values)
    }

    /// A float32 dataset of shape `shape`; `shape == []` writes a scalar (0-d) dataset.
    func write(_ path: String, _ values: [Float], shape: [Int]) throws {
        try write(path, shape: shape, fileType: landscape_h5t_ieee_f32le(), memoryType: landscape_h5t_native_float(), values)
    }

    /// A uint8 dataset (booleans as 0/1).
    func write(_ path: String, _ values: [UInt8], shape: [Int]) throws {
        try write(path, shape: shape, fileType: landscape_h5t_std_u8le(), memoryType: landscape_h5t_native_uint8(), values)
    }

    private func write<T>(_ path: String, shape: [Int], fileType: hid_t, memoryType: hid_t, _ values: [T]) throws {
        precondition(values.count == shape.reduce(1, *), "\(path): \(values.count) values for shape \(shape)")
        let dims = shape.map { hsize_t($0) }
        let space = shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), dims, nil)
        guard space >= 0 else { throw Self.fail(source, "make the dataspace of \(path)") }
        defer { H5Sclose(space) }
        let dataset = H5Dcreate2(id, path, fileType, space, Self.defaultList, Self.defaultList, Self.defaultList)
        guard dataset >= 0 else { throw Self.fail(source, "create dataset \(path)") }
        defer { H5Dclose(dataset) }
        let status = values.withUnsafeBytes { H5Dwrite(dataset, memoryType, Self.defaultList, Self.defaultList, Self.defaultList, $0.baseAddress) }
        guard status >= 0 else { throw Self.fail(source, "write dataset \(path)") }
    }

    /// A scalar variable-length UTF-8 string dataset: what h5py writes for `f['dir_file'] = "name"`.
    func writeString(_ path: String, _ value: String) throws {
        let type = try Self.stringType(source)
        defer { H5Tclose(type) }
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let dataset = H5Dcreate2(id, path, type, space, Self.defaultList, Self.defaultList, Self.defaultList)
        guard dataset >= 0 else { throw Self.fail(source, "create dataset \(path)") }
        defer { H5Dclose(dataset) }
        let status = value.withCString { text -> herr_t in
            var pointer: UnsafePointer<CChar>? = text
            return H5Dwrite(dataset, type, Self.defaultList, Self.defaultList, Self.defaultList, &pointer)
        }
        guard status >= 0 else { throw Self.fail(source, "write dataset \(path)") }
    }

    /// A variable-length UTF-8 string attribute on the object at `object` ("/" for the file).
    func setAttribute(_ name: String, _ value: String, on object: String = "/") throws {
        try withAttribute(name, on: object, type: Self.stringType(source), closeType: true) { attribute, type in
            value.withCString { text in
                var pointer: UnsafePointer<CChar>? = text
                return H5Awrite(attribute, type, &pointer)
            }
        }
    }

    /// A float64 scalar attribute.
    func setAttribute(_ name: String, _ value: Double, on object: String = "/") throws {
        try withAttribute(name, on: object, type: landscape_h5t_ieee_f64le(), closeType: false) { attribute, _ in
            var copy = value
            return H5Awrite(attribute, landscape_h5t_native_double(), &copy)
        }
    }

    /// An int64 scalar attribute.
    func setAttribute(_ name: String, _ value: Int64, on object: String = "/") throws {
        try withAttribute(name, on: object, type: landscape_h5t_std_i64le(), closeType: false) { attribute, _ in
            var copy = value
            return H5Awrite(attribute, landscape_h5t_native_int64(), &copy)
        }
    }

    private func withAttribute(_ name: String, on object: String, type: hid_t, closeType: Bool,
                               _ write: (hid_t, hid_t) -> herr_t) throws {
        defer { if closeType { H5Tclose(type) } }
        let target = H5Oopen(id, object, Self.defaultList)
        guard target >= 0 else { throw Self.fail(source, "open \(object) for attribute \(name)") }
        defer { H5Oclose(target) }
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let attribute = H5Acreate2(target, name, type, space, Self.defaultList, Self.defaultList)
        guard attribute >= 0 else { throw Self.fail(source, "create attribute \(name) on \(object)") }
        defer { H5Aclose(attribute) }
        guard write(attribute, type) >= 0 else { throw Self.fail(source, "write attribute \(name) on \(object)") }
    }

    private static func stringType(_ source: String) throws -> hid_t {
        let type = H5Tcopy(landscape_h5t_c_s1())
        guard type >= 0, H5Tset_size(type, landscape_h5t_variable()) >= 0, H5Tset_cset(type, H5T_CSET_UTF8) >= 0 else {
            throw fail(source, "make a string type")
        }
        return type
    }

    // MARK: reading

    /// Whether a link (dataset or group) `path` exists; every parent must exist.
    func exists(_ path: String) -> Bool {
        var prefix = ""
        for part in path.split(separator: "/") {
            prefix += "/" + part
            guard H5Lexists(id, prefix, Self.defaultList) > 0 else { return false }
        }
        return true
    }

    /// Names of the members of the group at `path`, in HDF5's (alphabetical) order.
    func members(of path: String) throws -> [String] {
        let group = H5Gopen2(id, path, Self.defaultList)
        guard group >= 0 else { throw Self.fail(source, "open group \(path)") }
        defer { H5Gclose(group) }
        var info = H5G_info_t()
        guard H5Gget_info(group, &info) >= 0 else { throw Self.fail(source, "list group \(path)") }
        return try (0..<info.nlinks).map { index in
            let length = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, Self.defaultList)
            guard length >= 0 else { throw Self.fail(source, "read a member name of \(path)") }
            var buffer = [CChar](repeating: 0, count: length + 1)
            H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, length + 1, Self.defaultList)
            return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// What a numeric dataset holds: its shape and element class.
    struct DatasetInfo: Equatable {
        var shape: [Int]
        /// "float", "integer" or another HDF5 class name.
        var kind: String
        var elementBytes: Int
    }

    func info(_ path: String) throws -> DatasetInfo {
        let dataset = H5Dopen2(id, path, Self.defaultList)
        guard dataset >= 0 else { throw ExportError.missingDataset(path: source, name: path, expected: "a dataset") }
        defer { H5Dclose(dataset) }
        let space = H5Dget_space(dataset)
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        guard rank >= 0 else { throw Self.fail(source, "read the shape of \(path)") }
        var dims = [hsize_t](repeating: 0, count: max(rank, 1))
        H5Sget_simple_extent_dims(space, &dims, nil)
        let type = H5Dget_type(dataset)
        defer { H5Tclose(type) }
        let kind: String
        switch H5Tget_class(type) {
        case H5T_FLOAT: kind = "float"
        case H5T_INTEGER: kind = "integer"
        case H5T_STRING: kind = "string"
        default: kind = "other"
        }
        return DatasetInfo(shape: dims.prefix(rank).map { Int($0) }, kind: kind, elementBytes: H5Tget_size(type))
    }

    /// A numeric dataset converted to float64 (HDF5 converts integers and float32), refused when it
    /// declares more than `maximumCount` values: a small file can declare a huge chunked dataset.
    func readDoubles(_ path: String, maximumCount: Int) throws -> (values: [Double], shape: [Int]) {
        let info = try info(path)
        guard info.kind == "float" || info.kind == "integer" else {
            throw ExportError.invalidDataset(path: source, name: path, detail: "holds \(info.kind) values, expected numbers")
        }
        var count = 1
        for extent in info.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow, product <= maximumCount else {
                throw ExportError.invalidDataset(path: source, name: path, detail: "has shape \(info.shape): expected at most \(maximumCount) values")
            }
            count = product
        }
        let dataset = H5Dopen2(id, path, Self.defaultList)
        defer { H5Dclose(dataset) }
        var values = [Double](repeating: 0, count: info.shape.reduce(1, *))
        let status = values.withUnsafeMutableBytes {
            H5Dread(dataset, landscape_h5t_native_double(), Self.defaultList, Self.defaultList, Self.defaultList, $0.baseAddress)
        }
        guard status >= 0 else { throw Self.fail(source, "read dataset \(path)") }
        return (values, info.shape)
    }

    /// A numeric dataset converted to float32.
    func readFloats(_ path: String, maximumCount: Int) throws -> (values: [Float], shape: [Int]) {
        let (values, shape) = try readDoubles(path, maximumCount: maximumCount)
        return (values.map { Float($0) }, shape)
    }

    /// A string attribute on `object`, or nil when it is absent or not a string.
    func stringAttribute(_ name: String, on object: String = "/") -> String? {
        guard H5Aexists_by_name(id, object, name, Self.defaultList) > 0 else { return nil }
        let attribute = H5Aopen_by_name(id, object, name, Self.defaultList, Self.defaultList)
        guard attribute >= 0 else { return nil }
        defer { H5Aclose(attribute) }
        let type = H5Aget_type(attribute)
        defer { H5Tclose(type) }
        guard H5Tget_class(type) == H5T_STRING, H5Tis_variable_str(type) > 0 else { return nil }
        let memory = try? Self.stringType(source)
        guard let memory else { return nil }
        defer { H5Tclose(memory) }
        var pointer: UnsafeMutablePointer<CChar>?
        guard H5Aread(attribute, memory, &pointer) >= 0, let pointer else { return nil }
        defer { H5free_memory(pointer) }
        return String(cString: pointer)
    }

    /// A scalar string dataset (h5py's `f['dir_file'] = "name"`: variable-length; or fixed-length),
    /// nil when absent or not a scalar string. Strings longer than `maximumLength` bytes are refused.
    func stringDataset(_ path: String, maximumLength: Int = 4096) -> String? {
        guard exists(path) else { return nil }
        let dataset = H5Dopen2(id, path, Self.defaultList)
        guard dataset >= 0 else { return nil }
        defer { H5Dclose(dataset) }
        let space = H5Dget_space(dataset)
        defer { H5Sclose(space) }
        guard H5Sget_simple_extent_ndims(space) == 0 else { return nil }
        let type = H5Dget_type(dataset)
        defer { H5Tclose(type) }
        guard H5Tget_class(type) == H5T_STRING else { return nil }
        if H5Tis_variable_str(type) > 0 {
            guard let memory = try? Self.stringType(source) else { return nil }
            defer { H5Tclose(memory) }
            var pointer: UnsafeMutablePointer<CChar>?
            guard H5Dread(dataset, memory, Self.defaultList, Self.defaultList, Self.defaultList, &pointer) >= 0, let pointer else { return nil }
            defer { H5free_memory(pointer) }
            guard strnlen(pointer, maximumLength + 1) <= maximumLength else { return nil }
            return String(cString: pointer)
        }
        let size = H5Tget_size(type)
        guard size > 0, size <= maximumLength else { return nil }
        var buffer = [UInt8](repeating: 0, count: size + 1)
        guard buffer.withUnsafeMutableBytes({ H5Dread(dataset, type, Self.defaultList, Self.defaultList, Self.defaultList, $0.baseAddress) }) >= 0 else {
            return nil
        }
        return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
    }

    static func fail(_ source: String, _ operation: String) -> ExportError {
        ExportError.hdf5(path: source, operation: operation)
    }
}
