/// Numbers filed under host ports (a caller's positions in a list of its own), for finding the first one
/// filed under a port that overlaps a given one (`HostPort.overlaps`) in constant time, however many
/// addresses share a port number: the loader's check of ports published twice and the preflight's check
/// of taken ports stay linear in the ports.
public struct HostPortIndex {
    private struct Number: Hashable {
        var port: Int
        var `protocol`: String
    }

    /// What is filed under one port number. A value is kept only when it can be the first to overlap
    /// some port: the first of all, the first on every address, and the first on each other address.
    private struct Holders {
        var first: (order: Int, address: String?, value: Int)
        var onAllAddresses: (order: Int, value: Int)?
        var byAddress: [String: (order: Int, value: Int)] = [:]

        mutating func file(_ value: Int, order: Int, address: String?) {
            // Nothing filed later comes before a first on every address, or on this same address.
            guard order != first.order, let firstAddress = first.address, firstAddress != address else { return }
            if let address {
                if byAddress[address] == nil { byAddress[address] = (order, value) }
            } else if onAllAddresses == nil {
                onAllAddresses = (order, value)
            }
        }
    }

    private var holders: [Number: Holders] = [:]
    private var filed = 0

    public init() {}

    /// Files `value` under `port`, after every value filed so far.
    public mutating func file(_ value: Int, under port: HostPort) {
        filed += 1
        let address = Self.address(port)
        let number = Number(port: port.port, protocol: port.protocol)
        holders[number, default: Holders(first: (filed, address, value))].file(value, order: filed, address: address)
    }

    /// The first value filed under a port that `port` overlaps.
    public func first(overlapping port: HostPort) -> Int? {
        guard let entry = holders[Number(port: port.port, protocol: port.protocol)] else { return nil }
        // The first of all overlaps a port on every address, and any port when it is on every address.
        guard let address = Self.address(port), let firstAddress = entry.first.address, firstAddress != address else {
            return entry.first.value
        }
        switch (entry.onAllAddresses, entry.byAddress[address]) {
        case (let all?, let own?): return all.order < own.order ? all.value : own.value
        case (let all?, nil): return all.value
        case (nil, let own?): return own.value
        case (nil, nil): return nil
        }
    }

    /// The one address of `port`; nil when it is on every address.
    private static func address(_ port: HostPort) -> String? { port.isAllAddresses ? nil : port.hostIP }
}
