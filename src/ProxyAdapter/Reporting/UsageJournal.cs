using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Governance.Domain.Access;
using Governance.Projections.Usage;
using Microsoft.Win32.SafeHandles;

namespace ProxyAdapter.Reporting;

/// <summary>
/// The adapter's durable usage buffer: an append-only log of segment files in <see cref="JournalOptions.Directory"/>.
/// Appends are group-committed: whatever callers append while a write is on its way goes to disk in the next single
/// write + fsync, and each <see cref="AppendAsync(UsageReport, CancellationToken)"/> completes after the fsync that
/// covers it. Records carry consecutive sequence numbers; the API's acknowledgement moves a watermark, and a segment
/// whose records are all acknowledged is deleted. On start, everything above the watermark is shipped again.
/// </summary>
/// <remarks>One reader (the <see cref="UsageShipper"/>) calls <see cref="ReadPending"/>, <see cref="Acknowledge"/> and
/// <see cref="Quarantine"/>; appends may come from any thread.</remarks>
public sealed partial class UsageJournal : IUsageSink, IAsyncDisposable
{
    private const int MaxGroupBytes = 4 << 20;
    private const string SegmentSuffix = ".seg";

    private sealed class Segment(long index, string path, long firstSeq)
    {
        public long Index { get; } = index;
        public string Path { get; } = path;
        public long FirstSeq { get; } = firstSeq;
        public long LastSeq { get; set; } = firstSeq - 1;
        public long Length { get; set; }
    }

    private readonly record struct Pending(byte[] Payload, TaskCompletionSource Done);

    private readonly JournalOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<UsageJournal> _log;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _appended = new(0, 1);
    private readonly Lock _gate = new();
    private readonly List<Segment> _segments = [];
    private readonly FileStream _lock;
    private readonly Task _writer;
    private Segment _activeSegment = null!;
    private FileStream? _active;
    private long _lastSeq;
    private long _acked;
    private long _deadLettered;
    private long _oldestPendingMs = long.MinValue;
    private long _commits;

    // The reader's cursor: the segment it is in, the next byte and the next seq it expects.
    private Segment? _readSegment;
    private SafeFileHandle? _readHandle;
    private long _readOffset;
    private long _readNext;
    private byte[] _readBuffer = new byte[64 * 1024];

    public UsageJournal(JournalOptions options, TimeProvider clock, ILogger<UsageJournal> log)
    {
        _options = options;
        _clock = clock;
        _log = log;
        Directory.CreateDirectory(options.Directory);
        // One process per journal: a second adapter configured with the same directory fails at start, not silently.
        _lock = new FileStream(Path.Combine(options.Directory, "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        Recover();
        _readNext = _acked + 1;
        _writer = Task.Factory.StartNew(WriteLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public string DirectoryPath => _options.Directory;

    public string DeadLetterPath => Path.Combine(_options.Directory, "dead-letter.jsonl");

    private string WatermarkPath => Path.Combine(_options.Directory, "acked");

    /// <summary>What waits to be shipped; cheap enough to read for every metrics scrape.</summary>
    public JournalBacklog Backlog
    {
        get
        {
            var pending = Math.Max(0, Volatile.Read(ref _lastSeq) - Volatile.Read(ref _acked));
            long bytes;
            lock (_gate)
                bytes = _segments.Sum(s => s.Length);
            var oldest = Volatile.Read(ref _oldestPendingMs);
            return new JournalBacklog(pending, bytes, pending > 0 && oldest != long.MinValue ? DateTimeOffset.FromUnixTimeMilliseconds(oldest) : null,
                Volatile.Read(ref _deadLettered));
        }
    }

    /// <summary>Group commits (write + fsync) so far: appends ÷ commits is the average group size.</summary>
    public long Commits => Volatile.Read(ref _commits);

    public event Action<IReadOnlyList<(UsageReport Report, UsageOutcome Outcome)>>? Acknowledged;

    public ValueTask AppendAsync(UsageReport report, CancellationToken ct) => AppendAsync(new JournalEntry(report, null), ct);

    public ValueTask AppendAsync(RequestDenied denied, CancellationToken ct) => AppendAsync(new JournalEntry(null, denied), ct);

    /// <summary>Cancelling stops the wait, not the write: a record once appended is written and shipped.</summary>
    private ValueTask AppendAsync(JournalEntry entry, CancellationToken ct)
    {
        var payload = JournalRecord.Serialize(entry);
        if (payload.Length > JournalOptions.MaxRecordBytes)
            throw new ArgumentException($"A journal record holds at most {JournalOptions.MaxRecordBytes} bytes.", nameof(entry));
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Pending(payload, done)))
            throw new ObjectDisposedException(nameof(UsageJournal));
        return new ValueTask(ct.CanBeCanceled ? done.Task.WaitAsync(ct) : done.Task);
    }

    private void WriteLoop()
    {
        var group = new List<Pending>();
        var buffer = new ArrayBufferWriter<byte>(256 * 1024);
        while (_queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            group.Clear();
            buffer.ResetWrittenCount();
            var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
            var before = Volatile.Read(ref _lastSeq);
            var seq = before;
            while (buffer.WrittenCount < MaxGroupBytes && _queue.Reader.TryRead(out var pending))
            {
                JournalRecord.Write(buffer, ++seq, now, pending.Payload);
                group.Add(pending);
            }
            try
            {
                var active = _active ?? throw new IOException("The journal has no open segment (an earlier disk error).");
                active.Write(buffer.WrittenSpan);
                active.Flush(flushToDisk: true);
                lock (_gate)
                {
                    _activeSegment.LastSeq = seq;
                    _activeSegment.Length += buffer.WrittenCount;
                }
                if (Volatile.Read(ref _acked) >= before)
                    Volatile.Write(ref _oldestPendingMs, now);
                Volatile.Write(ref _lastSeq, seq);
                Interlocked.Increment(ref _commits);
                foreach (var pending in group)
                    pending.Done.TrySetResult();
                Signal();
                if (_activeSegment.Length >= _options.SegmentBytes)
                    Roll();
            }
            catch (Exception e)
            {
                _log.LogError(e, "Could not write {Count} usage records to the journal in {Directory}", group.Count, _options.Directory);
                foreach (var pending in group)
                    pending.Done.TrySetException(e);
                // Part of the group may be on disk: never append after it, start a new segment.
                TryRoll();
            }
        }
    }

    private void Signal()
    {
        if (_appended.CurrentCount == 0)
        {
            try
            {
                _appended.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled.
            }
        }
    }

    private void TryRoll()
    {
        try
        {
            Roll();
        }
        catch (Exception e)
        {
            _log.LogError(e, "Could not start a new journal segment in {Directory}", _options.Directory);
        }
    }

    /// <summary>Closes the active segment and opens the next one; an empty one is removed.</summary>
    private void Roll()
    {
        lock (_gate)
        {
            _active?.Dispose();
            _active = null;
            var previous = _activeSegment;
            if (previous.LastSeq < previous.FirstSeq)
            {
                _segments.Remove(previous);
                File.Delete(previous.Path);
            }
            OpenSegment(previous.Index + 1, Volatile.Read(ref _lastSeq) + 1);
        }
    }

    private void OpenSegment(long index, long firstSeq)
    {
        var segment = new Segment(index, Path.Combine(_options.Directory, index.ToString("D12", CultureInfo.InvariantCulture) + SegmentSuffix), firstSeq);
        _active = new FileStream(segment.Path, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete, bufferSize: 0);
        _segments.Add(segment);
        _activeSegment = segment;
    }

    /// <summary>Waits until something is pending beyond what was read, or <paramref name="max"/> passed.</summary>
    public async Task WaitForRecordsAsync(TimeSpan max, CancellationToken ct)
    {
        if (Volatile.Read(ref _lastSeq) >= _readNext)
            return;
        await _appended.WaitAsync(max, ct);
    }

    /// <summary>The next records after those already read, in order: at most <paramref name="max"/>.</summary>
    public IReadOnlyList<JournalItem> ReadPending(int max)
    {
        var items = new List<JournalItem>();
        while (items.Count < max)
        {
            Segment? segment;
            long lastSeq, limit;
            lock (_gate)
            {
                segment = _segments.FirstOrDefault(s => s.LastSeq >= _readNext && s.LastSeq >= s.FirstSeq);
                if (segment is null)
                    break;
                if (segment.FirstSeq > _readNext)
                {
                    // Only a segment removed by hand leaves a gap.
                    _log.LogError("Journal records {From}..{To} are missing from {Directory}", _readNext, segment.FirstSeq - 1, _options.Directory);
                    _readNext = segment.FirstSeq;
                }
                (lastSeq, limit) = (segment.LastSeq, segment.Length);
            }
            if (segment != _readSegment)
            {
                _readHandle?.Dispose();
                _readHandle = File.OpenHandle(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                (_readSegment, _readOffset) = (segment, 0);
            }
            // A segment entered mid-way (after a restart, the watermark may sit inside it) is read from its start.
            var next = _readOffset == 0 ? segment.FirstSeq : _readNext;
            var read = new List<JournalItem>();
            var intact = JournalRecord.Read(_readHandle!, _readOffset, limit, next, (int)Math.Min(max - items.Count + (_readNext - next), int.MaxValue),
                read, ref _readBuffer, out var end);
            _readOffset = end;
            items.AddRange(read.Where(i => i.Seq >= _readNext));
            if (read.Count > 0)
                _readNext = Math.Max(_readNext, read[^1].Seq + 1);
            if (!intact || (read.Count == 0 && _readNext <= lastSeq))
            {
                // Only bytes that were fsynced are read, so this is damage after the fact (the disk, or a hand).
                _log.LogError("Journal segment {Segment} is damaged at byte {Offset}; records {From}..{To} cannot be read and are skipped",
                    segment.Path, end, _readNext, lastSeq);
                _readNext = lastSeq + 1;
            }
        }
        if (items.Count > 0 && items[0].Seq == Volatile.Read(ref _acked) + 1)
            Volatile.Write(ref _oldestPendingMs, items[0].AppendedAt.ToUnixTimeMilliseconds());
        return items;
    }

    /// <summary>Every record up to <paramref name="seq"/> is handled (acknowledged or quarantined): drop what is no longer needed.</summary>
    public void Acknowledge(long seq)
    {
        if (seq <= Volatile.Read(ref _acked))
            return;
        Volatile.Write(ref _acked, seq);
        // Not fsynced: a watermark lost in a power cut only means records are shipped again, which the API answers as duplicates.
        var temporary = WatermarkPath + ".tmp";
        File.WriteAllText(temporary, seq.ToString(CultureInfo.InvariantCulture));
        File.Move(temporary, WatermarkPath, overwrite: true);
        lock (_gate)
        {
            foreach (var done in _segments.Where(s => s != _activeSegment && s.LastSeq <= seq).ToList())
            {
                if (done == _readSegment)
                {
                    _readHandle?.Dispose();
                    (_readHandle, _readSegment) = (null, null);
                }
                File.Delete(done.Path);
                _segments.Remove(done);
            }
        }
    }

    /// <summary>Moves a record the API refused for good into the dead-letter file (fsynced), so it never blocks the rest.</summary>
    public void Quarantine(JournalItem item, string field, string message)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(new DeadLetter(item.Seq, item.Entry.Usage is null ? "denial" : "usage", item.Entry.RequestId, field,
            message, _clock.GetUtcNow(), item.Entry), JournalRecord.Json);
        using (var file = new FileStream(DeadLetterPath, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0))
        {
            file.Write(line);
            file.Write("\n"u8);
            file.Flush(flushToDisk: true);
        }
        Interlocked.Increment(ref _deadLettered);
        _log.LogError("Usage record {RequestId} (journal seq {Seq}) was refused by the governance API ({Field}: {Message}); moved to {DeadLetter}",
            item.Entry.RequestId, item.Seq, field, message, DeadLetterPath);
    }

    private sealed record DeadLetter(long Seq, string Kind, string RequestId, string Field, string Message, DateTimeOffset QuarantinedAt, JournalEntry Record);

    internal void RaiseAcknowledged(IReadOnlyList<(UsageReport Report, UsageOutcome Outcome)> outcomes)
    {
        try
        {
            Acknowledged?.Invoke(outcomes);
        }
        catch (Exception e)
        {
            _log.LogError(e, "A listener to acknowledged usage failed");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
        lock (_gate)
        {
            _active?.Dispose();
            _active = null;
        }
        _readHandle?.Dispose();
        _lock.Dispose();
    }
}
