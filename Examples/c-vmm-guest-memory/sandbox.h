#ifndef VMM_SANDBOX_H
#define VMM_SANDBOX_H

/* Confines the calling thread to the system calls of a receive queue thread (readv, ppoll,
 * thread exit). 1 when installed, 0 on an architecture the filter does not know, -errno when
 * the kernel refused it. */
int sandbox_queue_thread(void);

#endif
