namespace Governance.Contracts.Feed;

/// <summary>One page of the feed: apply <see cref="Changes"/> in order, then ask again from <see cref="Cursor"/> (at once when <see cref="More"/>).</summary>
public sealed record FeedPage(IReadOnlyList<FeedChange> Changes, long Cursor, bool More);
