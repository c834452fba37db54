/** The two small queues the dispatcher schedules with. */

/** A binary min-heap on a numeric key. */
export class MinHeap<V> {
  private readonly items: Array<{ key: number; value: V }> = [];

  get size(): number {
    return this.items.length;
  }

  peekKey(): number | undefined {
    return this.items[0]?.key;
  }

  push(key: number, value: V): void {
    const items = this.items;
    items.push({ key, value });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = items[parent];
      const here = items[i];
      if (!above || !here || above.key <= here.key) break;
      items[parent] = here;
      items[i] = above;
      i = parent;
    }
  }

  pop(): V | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (!top || !last) return undefined;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if ((items[left]?.key ?? Number.POSITIVE_INFINITY) < (items[smallest]?.key ?? 0)) smallest = left;
        if ((items[right]?.key ?? Number.POSITIVE_INFINITY) < (items[smallest]?.key ?? 0)) smallest = right;
        if (smallest === i) break;
        const a = items[i];
        const b = items[smallest];
        if (!a || !b) break;
        items[i] = b;
        items[smallest] = a;
        i = smallest;
      }
    }
    return top.value;
  }
}

/** A FIFO on an array with a moving head: O(1) shift, compacted now and then. */
export class Fifo<V> {
  private items: V[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(value: V): void {
    this.items.push(value);
  }

  peek(): V | undefined {
    return this.at(0);
  }

  /** The value `index` places behind the head. */
  at(index: number): V | undefined {
    return this.head + index < this.items.length ? this.items[this.head + index] : undefined;
  }

  shift(): V | undefined {
    if (this.head >= this.items.length) return undefined;
    const value = this.items[this.head++];
    if (this.head >= this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return value;
  }
}
