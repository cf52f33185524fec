import BerthModel
import BerthProxy
import Testing

/// The answers are HAProxy 2.6.12's, captured from its admin socket (the statistics of api/s1 edited to have errors).
@Suite struct HAProxyRuntimeAPITests {
    static let observed = """
        BERTH_LAYOUT=4f1c0ad2

        1
        # be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
        3 web 1 s1 127.0.0.1 2 12 100 1 0 15 3 2 6 0 0 0 - 18991 - 0 0 - - 0
        3 web 2 s2 127.0.0.1 2 4 100 1 0 1 0 1 6 0 0 0 - 18992 - 0 0 - - 0
        3 web 3 s3 127.0.0.1 0 5 1 1 18 1 0 0 14 0 0 0 - 1 - 0 0 - - 0
        3 web 4 s4 ::1 0 5 1 1 1 1 0 0 14 0 0 0 - 80 - 0 0 - - 0
        5 api 1 s1 127.0.0.1 0 4 1 1 18 1 0 0 14 0 0 0 - 20001 - 0 0 - - 0


        """

    @Test("show env and show servers state: admin bits to ready/drain/maint, op state 2 is up, the user's weight")
    func observe() throws {
        let observed = try HAProxyRuntimeAPI.parseObserved(Self.observed)
        #expect(observed.configSHA256 == "4f1c0ad2")
        #expect(observed.servers == [
            ProxyServer(backend: "web", name: "s1", address: "127.0.0.1", port: 18991, admin: .drain, up: true, weight: 100),
            ProxyServer(backend: "web", name: "s2", address: "127.0.0.1", port: 18992, admin: .ready, up: true, weight: 100),
            ProxyServer(backend: "web", name: "s3", address: "127.0.0.1", port: 1, admin: .maint, up: false, weight: 1),
            ProxyServer(backend: "web", name: "s4", address: "::1", port: 80, admin: .maint, up: false, weight: 1),
            // Ready but its check fails: down.
            ProxyServer(backend: "api", name: "s1", address: "127.0.0.1", port: 20001, admin: .ready, up: false, weight: 1),
        ])
    }

    @Test("a process without BERTH_LAYOUT runs an unknown layout; an answer without a table is an error")
    func observeOthers() throws {
        let foreign = Self.observed.replacingOccurrences(of: "BERTH_LAYOUT=4f1c0ad2", with: "Variable not found")
        #expect(try HAProxyRuntimeAPI.parseObserved(foreign).configSHA256 == "unknown")
        #expect(throws: ProxyError.self) { try HAProxyRuntimeAPI.parseObserved("Permission denied\n\n") }
        #expect(HAProxyRuntimeAPI.parseLayout("BERTH_LAYOUT=4f1c0ad2\n\n") == "4f1c0ad2")
    }

    static let statistics = """
        # pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,
        berth.http,FRONTEND,,,0,1,4096,6,571,1142,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,1,0,3,,,,0,1,0,4,1,0,,1,3,6,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,http,,1,3,6,0,0,0,0,,,0,0,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,6,6,553,1393,0,0,
        web,s1,0,0,0,1,,4,392,839,,0,,0,0,0,0,DRAIN,100,1,0,0,0,0,0,,1,3,1,,4,,2,1,,3,L7OK,200,0,0,1,0,3,0,0,,,,4,0,0,,,,,1,,,0,0,4,4,,,,Layer7 check passed,,1,2,2,,,,127.0.0.1:18991,0a28de30f2ba4625,http,,,,,,,,0,4,0,,,0,,0,0,4,5,0,0,0,0,1,100,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
        web,s2,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP 1/2,100,1,0,0,0,0,0,,1,3,2,,0,,2,0,,0,INI,,,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Initializing,,1,2,1,,,,127.0.0.1:18992,a3922576d6d82ba4,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,0,100,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
        web,s3,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT,1,1,0,0,0,18,18,,1,3,3,,0,,2,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:1,9d248fbc5c261b38,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,0,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
        web,BACKEND,0,0,0,1,410,4,392,839,0,0,,0,0,0,0,UP,100,1,0,,0,8,0,,1,3,0,,4,,1,1,,3,,,,0,1,0,3,0,0,,,,4,0,0,0,0,0,0,1,,,0,0,4,4,,,,,,,,,,,,,BERTH_WEB,http,roundrobin,,,,,,,0,4,0,0,0,,,0,0,4,5,0,,,,,100,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,21,21,4461,856,0,0,
        api,s1,0,0,2,2,,9,0,0,,0,,3,1,0,0,DOWN,1,1,0,0,0,18,18,,1,5,1,,0,,2,0,,0,,,,0,5,0,0,1,0,,,,0,0,0,,,,,-1,,,0,0,7,0,,,,,,,,,,,,127.0.0.1:20001,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,0,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,

        """

    @Test("show stat: the backend's servers, responses by class, connection and response errors as answered by none")
    func counters() throws {
        let web = try HAProxyRuntimeAPI.parseCounters(Self.statistics, backend: "web")
        #expect(web == [
            ServerCounters(backend: "web", slot: "s1", responses2xx: 1, responses4xx: 3, responseTimeMilliseconds: 4, status: "DRAIN"),
            ServerCounters(backend: "web", slot: "s2", status: "UP 1/2"),
            ServerCounters(backend: "web", slot: "s3", status: "MAINT"),
        ])
        let api = try HAProxyRuntimeAPI.parseCounters(Self.statistics, backend: "api")
        #expect(api == [
            ServerCounters(
                backend: "api", slot: "s1", currentSessions: 2, responses2xx: 5, responses5xx: 1, otherResponses: 4, connectionErrors: 4,
                responseTimeMilliseconds: 7, status: "DOWN"
            ),
        ])
        #expect(api.first?.requests == 10)
        #expect(throws: ProxyError.self) { try HAProxyRuntimeAPI.parseCounters("No such proxy.\n\n", backend: "nope") }
    }

    @Test("set: readied slots first with address and weight before the state, then drained and maintained ones state first")
    func setCommands() throws {
        let commands = try HAProxyRuntimeAPI.setCommands(backend: "web", servers: [
            ServerSetting(slot: "s1", container: "web-1", address: "127.0.0.1", port: 20001, admin: .drain, weight: 100),
            ServerSetting(slot: "s2", container: "web-2", address: "127.0.0.1", port: 20002, admin: .ready, weight: 10),
            ServerSetting(slot: "s3", container: nil, address: "::1", port: 0, admin: .maint, weight: 1),
        ])
        #expect(commands == [
            "set server web/s2 addr 127.0.0.1 port 20002", "set server web/s2 weight 10", "set server web/s2 state ready",
            "set server web/s1 state drain", "set server web/s1 addr 127.0.0.1 port 20001", "set server web/s1 weight 100",
            "set server web/s3 state maint", "set server web/s3 addr ::1 port 0", "set server web/s3 weight 1",
        ])
        #expect(HAProxyRuntimeAPI.lines(commands) == [commands.joined(separator: "; ")])
        let short = HAProxyRuntimeAPI.lines(commands, limit: 100)
        #expect(short.count > 1 && short.allSatisfy { $0.utf8.count <= 100 })
        #expect(short.joined(separator: "; ") == commands.joined(separator: "; "))
    }

    @Test("set refuses what HAProxy would misread or silently wrap", arguments: [
        ServerSetting(slot: "s1", container: nil, address: "127.0.0.1", port: 65536, admin: .ready, weight: 1),
        ServerSetting(slot: "s1", container: nil, address: "127.0.0.1", port: 80, admin: .ready, weight: 257),
        ServerSetting(slot: "s1", container: nil, address: "127.0.0.1; shutdown sessions", port: 80, admin: .ready, weight: 1),
        ServerSetting(slot: "s 1", container: nil, address: "127.0.0.1", port: 80, admin: .ready, weight: 1),
    ])
    func setRefuses(server: ServerSetting) {
        #expect(throws: ProxyError.self) { try HAProxyRuntimeAPI.setCommands(backend: "web", servers: [server]) }
    }

    @Test("answers to set server: changes are fine, anything else is a refusal")
    func refusals() {
        let answer = """
            no need to change the addr, port changed from '1' to '18991' by 'stats socket command'

            IP changed from '127.0.0.1' to '::1', port changed from '1' to '80' by 'stats socket command'



            No such server.

            Absolute weight can only be between 0 and 256 inclusive.
            Require 'backend/server'.

            """
        #expect(HAProxyRuntimeAPI.refusals(in: answer) == [
            "No such server.", "Absolute weight can only be between 0 and 256 inclusive.", "Require 'backend/server'.",
        ])
    }
}
