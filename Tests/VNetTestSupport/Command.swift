import Glibc

/// Runs a program and waits for it, with `posix_spawn` (Foundation's Process needs a run loop
/// that cannot start inside a fresh network namespace). The child inherits the calling thread's
/// namespaces.
public enum Command {
    /// Runs `path` with `arguments`; throws unless it exits 0.
    public static func run(_ path: String, _ arguments: [String]) throws {
        // C strings for posix_spawn, NULL-terminated, freed once it returns.
        let argv = unsafe ([path] + arguments).map { unsafe strdup($0) } + [nil]
        // By index: swift-format 6.3 mangles `for unsafe pointer in`.
        defer { for index in unsafe argv.indices { unsafe free(argv[index]) } }
        var pid: pid_t = 0
        let spawned = unsafe posix_spawn(&pid, path, nil, nil, argv, environ)
        guard spawned == 0 else { throw NetworkNamespace.Failure(description: "posix_spawn \(path): errno \(spawned)") }
        var status: Int32 = 0
        while unsafe waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else {
            throw NetworkNamespace.Failure(
                description: "\(path) \(arguments.joined(separator: " ")) exited with status \(status)")
        }
    }

    /// Starts `path` with `arguments`, its standard output and error going to the files at
    /// `output` and `errors`; returns its pid (wait for it with ``wait(_:)``).
    public static func start(_ path: String, _ arguments: [String], output: String, errors: String) throws -> pid_t {
        // C strings for posix_spawn, NULL-terminated, freed once it returns.
        let argv = unsafe ([path] + arguments).map { unsafe strdup($0) } + [nil]
        // By index: swift-format 6.3 mangles `for unsafe pointer in`.
        defer { for index in unsafe argv.indices { unsafe free(argv[index]) } }
        var actions = unsafe posix_spawn_file_actions_t()
        unsafe posix_spawn_file_actions_init(&actions)
        defer { unsafe posix_spawn_file_actions_destroy(&actions) }
        unsafe posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        unsafe posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var pid: pid_t = 0
        let spawned = unsafe posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard spawned == 0 else { throw NetworkNamespace.Failure(description: "posix_spawn \(path): errno \(spawned)") }
        return pid
    }

    /// Waits for `pid` at most `seconds`; its exit status (as `waitpid` gives it), or nil when it
    /// is still running then (it is killed).
    public static func wait(_ pid: pid_t, seconds: Double) -> Int32? {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            let done = unsafe waitpid(pid, &status, WNOHANG)
            if done == pid { return status }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        _ = unsafe waitpid(pid, &status, 0)
        return nil
    }
}
