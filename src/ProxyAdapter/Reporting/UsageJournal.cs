using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Governance.Contracts.Audit;
using Governance.Contracts.Usage;
using Governance.Domain.Access;
using Microsoft.Win32.SafeHandles;

namespace ProxyAdapter.Reporting;

/// <summary>
/// The adapter's durable usage buffer: an append-only log of segment files in <see cref="JournalOptions.Directory"/>.
/// An append writes its record to the active segment at once, on the caller's thread (one short lock orders appends), so
/// when <see cref="AppendAsync(UsageReport, CancellationToken)"/> returns the record is in the file: it survives a crash
/// or kill of the process. A background thread fsyncs what was written, group-committed: one fsync covers every record
/// written before it started. With <see cref="JournalDurability.Fsync"/> an append completes only after the fsync that
/// covers it (it survives a power loss too) and fsyncs follow each other back to back; with
/// <see cref="JournalDurability.Write"/> (the default) it completes after the write, fsyncs are
/// <see cref="JournalOptions.SyncInterval"/> apart, and a power loss can lose what the last fsync did not cover yet.
/// Records carry consecutive sequence numbers; the API's acknowledgement moves a watermark, and a segment whose records
/// are all acknowledged is deleted. On start, everything above the watermark is shipped again.
/// </summary>
/// <remarks>One reader (the <see cref="UsageShipper"/>) calls <see cref="ReadPending"/>, <see cref="Acknowledge"/> and
/// <see cref="Quarantine"/>; appends may come from any thread.</remarks>
public sealed partial class UsageJournal : IUsageSink, IAsyncDisposable
{
    private const string SegmentSuffix = ".seg";

    private sealed class Segment(long index, string path, long firstSeq)
    {
        public long Index { get; } = index;
        public string Path { get; } = path;
        public long FirstSeq { get; } = firstSeq;
        public long LastSeq { get; set; } = firstSeq - 1;
        public long Length { get; set; }
    }

    private readonly JournalOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<UsageJournal> _log;
    private readonly SemaphoreSlim _appended = new(0, 1);
    private readonly SemaphoreSlim _syncWanted = new(0, 1);
    private readonly ManualResetEventSlim _closing = new();
    // Appends: the next seq, the record buffer and the active segment's file. Taken before _gate, never after it.
    private readonly Lock _writeGate = new();
    private readonly ArrayBufferWriter<byte> _record = new(4096);
    // Appends waiting for their fsync (Fsync durability), in seq order.
    private readonly ConcurrentQueue<(long Seq, TaskCompletionSource Done)> _unsynced = new();
    private readonly Lock _completing = new();
    private readonly Lock _gate = new();
    private readonly List<Segment> _segments = [];
    private readonly FileStream _lock;
    private readonly Task _syncer;
    private Segment _activeSegment = null!;
    private SafeFileHandle? _active;
    private bool _closed;
    private long _lastSeq;
    private long _syncedSeq;
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
        OwnerOnly.Directory(options.Directory);
        // One process per journal: a second adapter configured with the same directory fails at start, not silently.
        _lock = OwnerOnly.Restrict(new FileStream(Path.Combine(options.Directory, "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        Recover();
        _syncedSeq = _lastSeq;
        _readNext = _acked + 1;
        _syncer = Task.Factory.StartNew(SyncLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
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

    /// <summary>Group commits (fsyncs) so far: appends ÷ commits is the average group size.</summary>
    public long Commits => Volatile.Read(ref _commits);

    /// <summary>The highest sequence number known to be on stable storage (every record up to it was fsynced).</summary>
    public long Synced => Volatile.Read(ref _syncedSeq);

    public event Action<IReadOnlyList<(UsageReport Report, UsageOutcome Outcome)>>? Acknowledged;

    public ValueTask AppendAsync(UsageReport report, CancellationToken ct) => AppendAsync(new JournalEntry(report, null), ct);

    public ValueTask AppendAsync(RequestDenied denied, CancellationToken ct) => AppendAsync(new JournalEntry(null, denied), ct);

    public ValueTask AppendAsync(RefusalReport refusals, CancellationToken ct) => AppendAsync(new JournalEntry(null, null, refusals), ct);

    /// <summary>
    /// Writes the record before it returns (a disk error throws); the task completes at once, or with
    /// <see cref="JournalDurability.Fsync"/> after the fsync that covers the record. Cancelling stops that wait, not the
    /// fsync: a record once appended is kept and shipped.
    /// </summary>
    private ValueTask AppendAsync(JournalEntry entry, CancellationToken ct)
    {
        var payload = JournalRecord.Serialize(entry);
        if (payload.Length > JournalOptions.MaxRecordBytes)
            throw new ArgumentException($"A journal record holds at most {JournalOptions.MaxRecordBytes} bytes.", nameof(entry));
        TaskCompletionSource? durable = null;
        lock (_writeGate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (_active is null)
                TryRoll();
            var file = _active ?? throw new IOException("The journal has no open segment (an earlier disk error).");
            var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
            var seq = _lastSeq + 1;
            _record.ResetWrittenCount();
            JournalRecord.Write(_record, seq, now, payload);
            try
            {
                RandomAccess.Write(file, _record.WrittenSpan, _activeSegment.Length);
            }
            catch (Exception e)
            {
                _log.LogError(e, "Could not write a usage record to the journal in {Directory}", _options.Directory);
                // Part of the record may be on disk: never append after it, start a new segment.
                TryRoll();
                throw;
            }
            lock (_gate)
            {
                _activeSegment.LastSeq = seq;
                _activeSegment.Length += _record.WrittenCount;
            }
            if (Volatile.Read(ref _acked) >= seq - 1)
                Volatile.Write(ref _oldestPendingMs, now);
            Volatile.Write(ref _lastSeq, seq);
            if (_options.Durability == JournalDurability.Fsync)
            {
                durable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _unsynced.Enqueue((seq, durable));
            }
            if (_activeSegment.Length >= _options.SegmentBytes)
                TryRoll();
        }
        Signal(_appended);
        Signal(_syncWanted);
        if (durable is null)
            return ValueTask.CompletedTask;
        return new ValueTask(ct.CanBeCanceled ? durable.Task.WaitAsync(ct) : durable.Task);
    }

    /// <summary>Fsyncs whatever was written since the last fsync, again and again while appends come.</summary>
    private void SyncLoop()
    {
        while (true)
        {
            _syncWanted.Wait();
            long target;
            SafeFileHandle? file;
            bool closed;
            lock (_writeGate)
                (target, file, closed) = (_lastSeq, _active, _closed);
            if (target > Volatile.Read(ref _syncedSeq))
                Sync(target, file);
            if (closed)
                return;
            // A write into the page an fsync is flushing waits for that fsync: pausing between fsyncs keeps appends that do
            // not wait for an fsync from waiting for one after all.
            if (_options.Durability == JournalDurability.Write && _options.SyncInterval > TimeSpan.Zero)
                _closing.Wait(_options.SyncInterval);
        }
    }

    /// <summary>
    /// Fsyncs <paramref name="file"/>, which holds every record up to <paramref name="target"/> not in an earlier segment
    /// (a closed segment was fsynced as it was closed), and completes the appends it covered.
    /// </summary>
    private void Sync(long target, SafeFileHandle? file)
    {
        Exception? failed = null;
        try
        {
            RandomAccess.FlushToDisk(file ?? throw new IOException("The journal has no open segment (an earlier disk error)."));
        }
        catch (ObjectDisposedException)
        {
            // Closed meanwhile by a roll, which fsyncs a segment before closing it.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            failed = e;
            _log.LogError(e, "Could not fsync the usage journal in {Directory}", _options.Directory);
            // What the failed fsync covered may be lost on a power cut: never append after it, start a new segment.
            lock (_writeGate)
                TryRoll();
        }
        Volatile.Write(ref _syncedSeq, target);
        Interlocked.Increment(ref _commits);
        CompleteUnsynced(target, failed);
    }

    /// <summary>Completes the appends waiting for an fsync up to <paramref name="seq"/>, or fails them when it failed.</summary>
    private void CompleteUnsynced(long seq, Exception? failed)
    {
        // The syncer and a roll may both complete waiters: one at a time, so what is peeked is what is taken.
        lock (_completing)
            while (_unsynced.TryPeek(out var waiting) && waiting.Seq <= seq && _unsynced.TryDequeue(out waiting))
            {
                if (failed is null)
                    waiting.Done.TrySetResult();
                else
                    waiting.Done.TrySetException(failed);
            }
    }

    private static void Signal(SemaphoreSlim signal)
    {
        if (signal.CurrentCount == 0)
        {
            try
            {
                signal.Release();
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

    /// <summary>
    /// Fsyncs and closes the active segment and opens the next one; an empty one is removed. Under
    /// <see cref="_writeGate"/>.
    /// </summary>
    private void Roll()
    {
        lock (_gate)
        {
            if (_active is { } closing)
            {
                _active = null;
                try
                {
                    RandomAccess.FlushToDisk(closing);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Its records may be lost on a power cut: appends waiting for their fsync learn it now.
                    _log.LogError(e, "Could not fsync journal segment {Segment} as it was closed", _activeSegment.Path);
                    CompleteUnsynced(Volatile.Read(ref _lastSeq), e);
                }
                finally
                {
                    closing.Dispose();
                }
            }
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
        _active = OwnerOnly.Restrict(File.OpenHandle(segment.Path, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete));
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
                // Only whole records are read (an append updates the length after its write), so this is damage after the fact
                // (the disk, or a hand).
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
        using (var watermark = OwnerOnly.Restrict(new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None)))
            watermark.Write(System.Text.Encoding.ASCII.GetBytes(seq.ToString(CultureInfo.InvariantCulture)));
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
        var line = JsonSerializer.SerializeToUtf8Bytes(new DeadLetter(item.Seq, item.Entry.Kind, item.Entry.RequestId, field,
            message, _clock.GetUtcNow(), item.Entry), JournalRecord.Json);
        using (var file = OwnerOnly.Restrict(new FileStream(DeadLetterPath, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0)))
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
        lock (_writeGate)
        {
            if (_closed)
                return;
            _closed = true;
        }
        // The syncer fsyncs what is left and stops.
        _closing.Set();
        Signal(_syncWanted);
        await _syncer;
        lock (_writeGate)
            lock (_gate)
            {
                _active?.Dispose();
                _active = null;
            }
        _readHandle?.Dispose();
        _closing.Dispose();
        _lock.Dispose();
    }
}
