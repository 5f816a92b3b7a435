"""The parts of the C ABI (include/vnet_rss.h) the guest harness uses, through ctypes on the
built libvnetrss.so: a guest's control-queue RSS command decoded (VNET_RSS_FORMAT_VIRTIO_RSS),
the classifier's decision for a frame, and the steering object over tap fds."""
import ctypes
import struct

FORMAT_VIRTIO_RSS = 2
POLICY_KERNEL = 0
EXTENSION_RULE_SPEC = 0
HEADER_SIZE = 12  # virtio_net_hdr_mrg_rxbuf: what QEMU sets on the tap without hash reports

HASH_TYPES = {"IPv4": 1 << 0, "TCPv4": 1 << 1, "UDPv4": 1 << 2, "IPv6": 1 << 3, "TCPv6": 1 << 4, "UDPv6": 1 << 5,
              "IP_EX": 1 << 6, "TCP_EX": 1 << 7, "UDP_EX": 1 << 8}
L4_REPORTS = {2, 3, 5, 6, 8, 9}  # VIRTIO_NET_HASH_REPORT_TCPv4, UDPv4, TCPv6, UDPv6, TCPv6_EX, UDPv6_EX


class Error(ctypes.Structure):
    _fields_ = [("rule", ctypes.c_uint32), ("virtio_ack", ctypes.c_uint32), ("kernel_errno", ctypes.c_int32),
                ("reserved", ctypes.c_uint32), ("value", ctypes.c_uint64), ("limit", ctypes.c_uint64),
                ("field", ctypes.c_char * 40), ("message", ctypes.c_char * 200)]


class Fields(ctypes.Structure):
    _fields_ = [("features", ctypes.c_uint32), ("hash_types", ctypes.c_uint32), ("unclassified_queue", ctypes.c_uint16),
                ("max_tx_vq", ctypes.c_uint16), ("indirection_table_length", ctypes.c_uint32),
                ("key_length", ctypes.c_uint32), ("reserved", ctypes.c_uint32)]


class Decision(ctypes.Structure):
    _fields_ = [("hash", ctypes.c_uint32), ("report", ctypes.c_uint16), ("queue", ctypes.c_uint16)]


class Failure(Exception):
    pass


def rss_command(hash_types, table, key, unclassified_queue=0, max_tx_vq=1):
    """The bytes of struct virtio_net_rss_config (VIRTIO_NET_CTRL_MQ_RSS_CONFIG, virtio 1.2
    5.1.6.5.7.1), as the Linux driver fills it (virtnet_commit_rss_command)."""
    return (struct.pack("<IHH", hash_types, len(table) - 1, unclassified_queue)
            + struct.pack(f"<{len(table)}H", *table) + struct.pack("<HB", max_tx_vq, len(key)) + bytes(key))


class Library:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        pointer = ctypes.c_void_p
        self.lib.vnet_rss_config_decode.argtypes = [ctypes.c_uint32, ctypes.c_uint32, ctypes.c_char_p, ctypes.c_size_t,
                                                    ctypes.POINTER(pointer), ctypes.POINTER(Error)]
        self.lib.vnet_rss_config_free.argtypes = [pointer]
        self.lib.vnet_rss_config_fields.argtypes = [pointer, ctypes.POINTER(Fields), ctypes.POINTER(ctypes.c_uint16),
                                                    ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
        self.lib.vnet_rss_classifier_create.argtypes = [pointer, ctypes.c_uint16, ctypes.c_uint32,
                                                        ctypes.POINTER(pointer), ctypes.POINTER(Error)]
        self.lib.vnet_rss_classifier_free.argtypes = [pointer]
        self.lib.vnet_rss_classify.argtypes = [pointer, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t,
                                               ctypes.c_uint16, ctypes.POINTER(Decision)]
        self.lib.vnet_rss_steering_create.argtypes = [ctypes.POINTER(ctypes.c_int32), ctypes.c_size_t, pointer,
                                                      ctypes.c_uint16, ctypes.c_uint32, pointer,
                                                      ctypes.POINTER(pointer), ctypes.POINTER(Error)]
        self.lib.vnet_rss_steering_destroy.argtypes = [pointer]
        self.lib.vnet_rss_steering_attach.argtypes = [pointer]

    def decode(self, command):
        """The configuration in a guest's RSS command, or Failure naming the field."""
        out, error = ctypes.c_void_p(), Error()
        if self.lib.vnet_rss_config_decode(FORMAT_VIRTIO_RSS, POLICY_KERNEL, command, len(command),
                                           ctypes.byref(out), ctypes.byref(error)) != 0:
            raise Failure(f"decoding the RSS command: {error.message.decode()}")
        return Configuration(self, out)


class Configuration:
    """A decoded configuration, with its classifier for `queues` receive queues."""

    def __init__(self, library, handle):
        self.library, self.handle, self.classifiers = library, handle, {}

    def fields(self):
        """(hash types, table, key, unclassified queue) as the decoder read them."""
        fields = Fields()
        self.library.lib.vnet_rss_config_fields(self.handle, ctypes.byref(fields), None, 0, None, 0)
        table = (ctypes.c_uint16 * fields.indirection_table_length)()
        key = ctypes.create_string_buffer(fields.key_length)
        if self.library.lib.vnet_rss_config_fields(self.handle, ctypes.byref(fields), table, len(table), key,
                                                   fields.key_length) != 0:
            raise Failure("vnet_rss_config_fields")
        return fields.hash_types, list(table), key.raw, fields.unclassified_queue

    def classifier(self, queues):
        if queues not in self.classifiers:
            out, error = ctypes.c_void_p(), Error()
            if self.library.lib.vnet_rss_classifier_create(self.handle, queues, EXTENSION_RULE_SPEC,
                                                           ctypes.byref(out), ctypes.byref(error)) != 0:
                raise Failure(f"classifier: {error.message.decode()}")
            self.classifiers[queues] = out
        return self.classifiers[queues]

    def decide(self, frame, queues):
        """(queue, hash, report) for `frame`, as the project's classifier decides it."""
        packet = bytes(HEADER_SIZE) + frame
        decision = Decision()
        result = self.library.lib.vnet_rss_classify(self.classifier(queues), packet, len(packet), HEADER_SIZE, 0,
                                                    ctypes.byref(decision))
        if result != 0:
            raise Failure(f"vnet_rss_classify: {result}")
        return decision.queue, decision.hash, decision.report

    def steer(self, fds, queues):
        """The steering program over the tap queues `fds`, published and attached (the caller
        destroys it)."""
        array = (ctypes.c_int32 * len(fds))(*fds)
        out, error = ctypes.c_void_p(), Error()
        if self.library.lib.vnet_rss_steering_create(array, len(fds), self.handle, queues, EXTENSION_RULE_SPEC, None,
                                                     ctypes.byref(out), ctypes.byref(error)) != 0:
            raise Failure(f"vnet_rss_steering_create: {error.message.decode()}")
        result = self.library.lib.vnet_rss_steering_attach(out)
        if result != 0:
            self.library.lib.vnet_rss_steering_destroy(out)
            raise Failure(f"vnet_rss_steering_attach: {result}")
        return Steering(self.library, out)

    def close(self):
        for handle in self.classifiers.values():
            self.library.lib.vnet_rss_classifier_free(handle)
        self.library.lib.vnet_rss_config_free(self.handle)


class Steering:
    def __init__(self, library, handle):
        self.library, self.handle = library, handle

    def close(self):
        self.library.lib.vnet_rss_steering_destroy(self.handle)
