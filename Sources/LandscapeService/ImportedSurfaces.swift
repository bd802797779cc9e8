import Foundation
import Landscape
import LandscapeExport

extension LandscapeService {
    /// `serve --import DIR`: Li et al.'s HDF5 surface files in `directory` (with their direction files
    /// when found there) become surfaces in the cache store, so the page and the API browse them; their
    /// values are kept as read (provenance "imported"). `modelID` names the model they were computed
    /// for; nil: the model our own export names, else the only model served. A file that cannot be
    /// imported is in the report's `skipped` with the reason; it never stops the others.
    public func importSurfaces(from directory: URL, modelID: String?) throws -> LiImport.DirectoryReport {
        let models: [LoadedModel]
        if let modelID { models = [try catalog.model(modelID)] } else {
            models = catalog.modelIDs().compactMap { try? catalog.model($0) }
        }
        return try LiImport.importDirectory(directory, models: models, into: catalog.cacheStore)
    }
}
