using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Text.Json;
using Governance.Contracts.Audit;
using Governance.Contracts.Usage;
using Governance.Domain.Access;
using Microsoft.Win32.SafeHandles;

namespace ProxyAdapter.Reporting;

/// <summary>One journal entry: a completed request's report, a denial or a minute of refusals (exactly one is set).</summary>
public sealed record JournalEntry(UsageReport? Usage, RequestDenied? Denial, RefusalReport? Refusals = null)
{
    /// <summary>The record's idempotency key: its request id, or a minute of refusals' stream id.</summary>
    public string RequestId => Usage?.RequestId ?? Denial?.RequestId ?? Refusals!.StreamId;

    public string Kind => Usage is not null ? "usage" : Denial is not null ? "denial" : "refusals";

    public bool IsValid => (Usage is null ? 0 : 1) + (Denial is null ? 0 : 1) + (Refusals is null ? 0 : 1) == 1;
}

/// <summary>An entry read back from disk, with its sequence number and when it was appended.</summary>
public sealed record JournalItem(long Seq, DateTimeOffset AppendedAt, JournalEntry Entry);

/// <summary>
/// The on-disk record: <c>[payload length u32][crc32c u32][seq i64][appended-at unix ms i64][payload: UTF-8 JSON]</c>,
/// little-endian. The checksum covers seq, time and payload, so a torn or half-written tail is recognised and skipped.
/// </summary>
public static class JournalRecord
{
    public const int HeaderBytes = 24;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static byte[] Serialize(JournalEntry entry) => JsonSerializer.SerializeToUtf8Bytes(entry, Json);

    public static void Write(IBufferWriter<byte> output, long seq, long appendedAtMs, ReadOnlySpan<byte> payload)
    {
        var span = output.GetSpan(HeaderBytes + payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)payload.Length);
        BinaryPrimitives.WriteInt64LittleEndian(span[8..], seq);
        BinaryPrimitives.WriteInt64LittleEndian(span[16..], appendedAtMs);
        payload.CopyTo(span[HeaderBytes..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], Checksum(span[8..(HeaderBytes + payload.Length)]));
        output.Advance(HeaderBytes + payload.Length);
    }

    public enum Status { Ok, NeedMore, Invalid }

    /// <summary>
    /// Parses the record at the start of <paramref name="data"/>. <see cref="Status.NeedMore"/> gives in
    /// <paramref name="size"/> how many bytes the record needs; <see cref="Status.Invalid"/> means what is there is not an
    /// intact record whose seq is <paramref name="expectedSeq"/> (any seq when null): the end of what was written durably.
    /// </summary>
    public static Status Parse(ReadOnlySpan<byte> data, long? expectedSeq, out JournalItem? item, out int size)
    {
        item = null;
        size = HeaderBytes;
        if (data.Length < HeaderBytes)
            return Status.NeedMore;
        var length = BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (length is 0 or > JournalOptions.MaxRecordBytes)
            return Status.Invalid;
        var seq = BinaryPrimitives.ReadInt64LittleEndian(data[8..]);
        if (expectedSeq is { } expected && seq != expected)
            return Status.Invalid;
        size = HeaderBytes + (int)length;
        if (data.Length < size)
            return Status.NeedMore;
        if (Checksum(data[8..size]) != BinaryPrimitives.ReadUInt32LittleEndian(data[4..]))
            return Status.Invalid;
        try
        {
            var entry = JsonSerializer.Deserialize<JournalEntry>(data[HeaderBytes..size], Json);
            if (entry is null || !entry.IsValid)
                return Status.Invalid;
            item = new JournalItem(seq, DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(data[16..])), entry);
            return Status.Ok;
        }
        catch (JsonException)
        {
            return Status.Invalid;
        }
    }

    /// <summary>
    /// Reads up to <paramref name="max"/> consecutive records of a segment from <paramref name="offset"/>, never past
    /// <paramref name="limit"/> (what is known durable; bytes beyond it may be a write in progress). Returns false when it
    /// stopped at something that is not an intact record (a torn tail); <paramref name="end"/> is where it stopped.
    /// </summary>
    public static bool Read(SafeFileHandle file, long offset, long limit, long? expectedSeq, int max, List<JournalItem> into, ref byte[] buffer, out long end)
    {
        var added = 0;
        while (added < max && offset < limit)
        {
            var toRead = (int)Math.Min(buffer.Length, limit - offset);
            var read = RandomAccess.Read(file, buffer.AsSpan(0, toRead), offset);
            var pos = 0;
            while (added < max)
            {
                var status = Parse(buffer.AsSpan(pos, read - pos), expectedSeq, out var item, out var size);
                if (status == Status.Ok)
                {
                    into.Add(item!);
                    added++;
                    pos += size;
                    expectedSeq = item!.Seq + 1;
                    continue;
                }
                if (status == Status.Invalid || (pos == 0 && (offset + size > limit || read < toRead)))
                {
                    end = offset + pos;
                    return false;
                }
                if (pos == 0)
                    buffer = new byte[Math.Max(size, buffer.Length * 2)];
                break;
            }
            offset += pos;
        }
        end = offset;
        return true;
    }

    /// <summary>CRC-32C (Castagnoli), hardware-accelerated where the CPU has it.</summary>
    public static uint Checksum(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (var b in data)
            crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }
}
