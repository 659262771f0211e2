using System.Globalization;

namespace ProxyAdapter.Reporting;

public sealed partial class UsageJournal
{
    /// <summary>
    /// Reads the watermark and every segment's intact prefix. A torn tail (a write the crash cut short, never
    /// acknowledged to its caller) is left behind: appends go to a new segment, so nothing is ever written after it.
    /// </summary>
    private void Recover()
    {
        _acked = ReadWatermark();
        var last = _acked;
        var maxIndex = 0L;
        var scanned = new List<JournalItem>();
        var buffer = new byte[64 * 1024];
        foreach (var (index, path) in SegmentFiles())
        {
            maxIndex = Math.Max(maxIndex, index);
            long? first = null, lastInSegment = null, offset = 0;
            bool intact;
            using (var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read))
            {
                var length = RandomAccess.GetLength(file);
                do
                {
                    scanned.Clear();
                    intact = JournalRecord.Read(file, offset.Value, length, lastInSegment + 1, 4096, scanned, ref buffer, out var end);
                    offset = end;
                    if (scanned.Count > 0)
                    {
                        first ??= scanned[0].Seq;
                        lastInSegment = scanned[^1].Seq;
                    }
                }
                while (intact && scanned.Count > 0 && offset < length);
                if (offset < length)
                    _log.LogWarning("Journal segment {Segment}: {Bytes} bytes after the last intact record (a write cut short by a crash) are ignored",
                        path, length - offset);
            }
            if (first is null || lastInSegment <= _acked)
            {
                File.Delete(path);
                continue;
            }
            _segments.Add(new Segment(index, path, first.Value) { LastSeq = lastInSegment!.Value, Length = offset.Value });
            last = Math.Max(last, lastInSegment.Value);
        }
        _lastSeq = last;
        _deadLettered = File.Exists(DeadLetterPath) ? File.ReadLines(DeadLetterPath).LongCount(l => l.Length > 0) : 0;
        if (last > _acked)
            _log.LogInformation("The usage journal holds {Count} records not yet acknowledged by the governance API; shipping them again", last - _acked);
        lock (_gate)
            OpenSegment(maxIndex + 1, last + 1);
    }

    private long ReadWatermark()
    {
        try
        {
            return File.Exists(WatermarkPath) && long.TryParse(File.ReadAllText(WatermarkPath).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
                ? seq
                : 0;
        }
        catch (IOException e)
        {
            // Everything is shipped again: the API answers what it has as duplicates.
            _log.LogWarning(e, "Could not read the journal watermark; every record on disk is shipped again");
            return 0;
        }
    }

    private IEnumerable<(long Index, string Path)> SegmentFiles() =>
        Directory.EnumerateFiles(_options.Directory, "*" + SegmentSuffix)
            .Select(path => (Ok: long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var index), index, path))
            .Where(f => f.Ok)
            .OrderBy(f => f.index)
            .Select(f => (f.index, f.path))
            .ToList();
}
