/// How a reader takes frames from its tap queue.
public enum ReaderKind: String, Sendable, CaseIterable {
    /// `epoll_wait`, then non-blocking `read()` until `EAGAIN` or the batch is full.
    case read
    /// io_uring: one multishot read with a provided-buffer ring (kernel 6.7+), else chains of
    /// single-shot reads, hard-linked so that frames keep their order.
    case uring
    /// io_uring with a chain of single-shot reads even where multishot exists (for comparison).
    case uringSingleShot = "uring-single"
}
