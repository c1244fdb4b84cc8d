package bench

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protowire"
)

// A minimal etcd v3 gRPC client: two methods (KV.Put, Maintenance.Status)
// with their protobuf messages encoded by hand with protowire, so the
// repository needs no etcd client module. The wire format is etcd's
// rpc.proto: PutRequest{key = 1, value = 2}; StatusResponse{header = 1
// (ResponseHeader{cluster_id = 1, member_id = 2}), leader = 4}.

// rawCodec passes already-encoded protobuf bytes through gRPC.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) {
	b, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("raw codec: want *[]byte, got %T", v)
	}
	return *b, nil
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	b, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("raw codec: want *[]byte, got %T", v)
	}
	*b = append((*b)[:0], data...)
	return nil
}

// Name is "proto": the server decodes what it receives as protobuf.
func (rawCodec) Name() string { return "proto" }

// etcdConn is a gRPC connection to one etcd member.
type etcdConn struct {
	addr string
	cc   *grpc.ClientConn
}

// dialEtcd connects to the member at host:port. Reconnection backs off
// from 20 ms so a restarted member is reachable again quickly.
func dialEtcd(addr string) (*etcdConn, error) {
	cc, err := grpc.NewClient("passthrough:///"+addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 20 * time.Millisecond, Multiplier: 1.6, MaxDelay: 500 * time.Millisecond},
			MinConnectTimeout: time.Second,
		}))
	if err != nil {
		return nil, fmt.Errorf("dial etcd %s: %w", addr, err)
	}
	return &etcdConn{addr: addr, cc: cc}, nil
}

// put writes value at key (a linearizable, quorum-committed write).
func (c *etcdConn) put(ctx context.Context, key string, value []byte) error {
	req := protowire.AppendTag(nil, 1, protowire.BytesType)
	req = protowire.AppendString(req, key)
	req = protowire.AppendTag(req, 2, protowire.BytesType)
	req = protowire.AppendBytes(req, value)
	var resp []byte
	if err := c.cc.Invoke(ctx, "/etcdserverpb.KV/Put", &req, &resp); err != nil {
		return fmt.Errorf("etcd put at %s: %w", c.addr, err)
	}
	return nil
}

// status returns this member's ID and the ID of the leader it knows (0
// when it knows none).
func (c *etcdConn) status(ctx context.Context) (member, leader uint64, err error) {
	var req, resp []byte
	if err := c.cc.Invoke(ctx, "/etcdserverpb.Maintenance/Status", &req, &resp); err != nil {
		return 0, 0, fmt.Errorf("etcd status at %s: %w", c.addr, err)
	}
	fields, err := varintFields(resp)
	if err != nil {
		return 0, 0, err
	}
	header, ok := fields.bytes[1]
	if !ok {
		return 0, 0, fmt.Errorf("etcd status at %s: no header in the answer", c.addr)
	}
	hf, err := varintFields(header)
	if err != nil {
		return 0, 0, err
	}
	return hf.varints[2], fields.varints[4], nil
}

// wireFields are the top-level varint and length-delimited fields of one
// protobuf message (the last occurrence of each wins).
type wireFields struct {
	varints map[protowire.Number]uint64
	bytes   map[protowire.Number][]byte
}

func varintFields(b []byte) (wireFields, error) {
	f := wireFields{varints: map[protowire.Number]uint64{}, bytes: map[protowire.Number][]byte{}}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return f, fmt.Errorf("decode etcd answer: %w", protowire.ParseError(n))
		}
		b = b[n:]
		switch typ {
		case protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return f, fmt.Errorf("decode etcd answer: %w", protowire.ParseError(m))
			}
			f.varints[num], b = v, b[m:]
		case protowire.BytesType:
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return f, fmt.Errorf("decode etcd answer: %w", protowire.ParseError(m))
			}
			f.bytes[num], b = v, b[m:]
		default:
			m := protowire.ConsumeFieldValue(num, typ, b)
			if m < 0 {
				return f, fmt.Errorf("decode etcd answer: %w", protowire.ParseError(m))
			}
			b = b[m:]
		}
	}
	return f, nil
}
