#!/bin/sh
# The guest's /init for `make test-guest`: loads virtio_net, sets the guest's RSS configuration
# with ethtool as an operator would, round by round, and runs the observer in each.
# Parameters come on the kernel command line: vnetrss.queues, vnetrss.key (40 bytes, colon
# separated hex) and vnetrss.weights (comma separated).
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for module in $(cat /lib/modules/order); do
    insmod /lib/modules/$module.ko || echo "guest: insmod $module failed"
done
parameter() { sed -n "s/.*vnetrss\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
QUEUES=$(parameter queues)
KEY=$(parameter key)
WEIGHTS=$(parameter weights | tr , ' ')
ip link set eth0 up
ethtool -L eth0 combined "$QUEUES" || echo "guest: ethtool -L failed"
# The driver sends its RSS configuration to the device only with receive hashing on
# (virtnet_set_features, virtnet_set_hashflow): on, as an operator who wants RSS turns it.
ethtool -K eth0 rxhash on || echo "guest: ethtool -K rxhash failed"

# What the guest's driver holds now: the key and table (ethtool -x), the hash fields per flow
# type (ethtool -n), between markers the harness parses.
round() {
    echo "guest: round $1 begin"
    ethtool -x eth0
    for flow in tcp4 udp4 tcp6 udp6; do
        echo "guest: flow $flow $(ethtool -n eth0 rx-flow-hash $flow 2>&1 | tr "\n" " ")"
    done
    echo "guest: round $1 ready"
    /observer eth0 "$QUEUES" 4 240
    echo "guest: round $1 end"
}

round default
ethtool -X eth0 hkey "$KEY" weight $WEIGHTS || echo "guest: ethtool -X failed"
round weighted
ethtool -N eth0 rx-flow-hash tcp4 sd || echo "guest: ethtool -N tcp4 failed"
ethtool -N eth0 rx-flow-hash udp6 sd || echo "guest: ethtool -N udp6 failed"
round narrowed
echo "guest: finished"
poweroff -f
