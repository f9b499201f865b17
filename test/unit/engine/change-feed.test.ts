import { expect } from 'chai';
import { ChangeFeed, type ChangeEvent } from '../../../engine/change-feed';

describe('engine/change-feed', () => {
  it('tells subscribers each change, in order, with increasing ids', () => {
    const feed = new ChangeFeed();
    const seen: ChangeEvent[] = [];
    feed.subscribe((e) => seen.push(e));
    feed.publish('app', 'shop');
    feed.publish('apps', null);
    expect(seen.map((e) => [e.kind, e.app])).to.deep.equal([['app', 'shop'], ['apps', null]]);
    expect(seen[1]!.id).to.equal(feed.lastId());
  });

  it('replays what a reconnecting client missed after its Last-Event-ID', () => {
    const feed = new ChangeFeed();
    feed.publish('app', 'a');
    const seenUpTo = feed.lastId();
    feed.publish('app', 'b');
    feed.publish('app', 'c');
    const replay = feed.since(seenUpTo);
    expect('events' in replay && replay.events.map((e) => e.app)).to.deep.equal(['b', 'c']);
    expect(feed.since(feed.lastId())).to.deep.equal({ events: [] });
  });

  it('asks for a resync when the id is from another process, unknown or no longer buffered', () => {
    const feed = new ChangeFeed(2);
    const first = feed.lastId();
    for (const app of ['a', 'b', 'c']) feed.publish('app', app);
    expect(feed.since(first)).to.deep.equal({ resync: true });
    expect(feed.since(new ChangeFeed().lastId())).to.deep.equal({ resync: true });
    expect(feed.since('garbage')).to.deep.equal({ resync: true });
  });

  it('ends every subscription when it closes', () => {
    const feed = new ChangeFeed();
    let closed = 0;
    feed.subscribe(() => {}, () => { closed += 1; });
    feed.subscribe(() => {}, () => { closed += 1; });
    feed.close();
    expect(closed).to.equal(2);
  });
});
