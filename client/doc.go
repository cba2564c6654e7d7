// Package client drives minions through an unmodified Salt master, as
// Salt's LocalClient and WheelClient do, from the master host.
//
// Jobs are published with a clear "publish" request on the master's
// request port (tcp://interface:ret_port), envelope {"enc": "clear",
// "load": {...}, "version": 3}, authenticated with the key the master
// writes to cachedir/.root_key at each start (so the caller must be root,
// or the master's user, on the master host). The master answers with the
// jid and the minions it expects; returns never travel back over the
// network: the master only fires them on its local event bus, which Cmd
// and CmdIter read:
//
//   - Salt 3006+: a Unix stream socket sock_dir/master_event_pub.ipc (TCP
//     127.0.0.1:tcp_master_pub_port with ipc_mode tcp) carrying a msgpack
//     stream of {"head": {}, "body": tag "\n\n" msgpack(data)} maps
//     (BusStream, the default).
//   - Salt 2014.7-2015.8: a ZeroMQ PUB socket on the same path; each message
//     is one body (BusZMQ, chosen with the master config key
//     saltgo_master_event_bus: zmq). 2014.7 pads tags of 20 bytes or less
//     with "|" and omits the "\n\n"; ParseEventBody accepts both forms.
//     go-zeromq speaks ZMTP 3 only, so a master linked against libzmq 3.x
//     cannot be read.
//
// Waiting follows LocalClient.get_iter_returns: after Timeout (master
// option timeout, 5 s) the minions that have not returned are sent
// saltutil.find_job; the wait goes on while they report the job running,
// and ends GatherJobTimeout (10 s) after the last such report. Minions
// that never returned are reported, when asked, with the salt CLI's texts
// "Minion did not return. [No response]..." or "[Not connected]".
//
// Wheel sends a clear "wheel" request (key.list_all, key.accept,
// key.delete, key.finger...), which the master runs synchronously.
package client
