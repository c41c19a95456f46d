/**
 * A growable FIFO deque over a power-of-two array: the channels' item buffer and
 * MemoryWorkQueue's ready list.
 *
 * Hand-written rather than a dependency because it is the hot path of every channel operation;
 * rather than a plain array because `Array.prototype.shift` is O(n) on large arrays (past about
 * 16,000 items in V8) and a head index over an ever-growing array never gives memory back.
 *
 * Slots are cleared on removal so that a consumed item is not kept alive by the buffer. Items may
 * be `undefined`: emptiness is told by {@link length}, never by the value.
 * @internal
 */
export class RingBuffer<T> {
  #slots: (T | undefined)[];
  #mask: number;
  #head = 0;
  #length = 0;

  constructor(initialCapacity = 16) {
    let size = 4;
    while (size < initialCapacity) size *= 2;
    this.#slots = Array.from({ length: size }, () => undefined);
    this.#mask = size - 1;
  }

  get length(): number {
    return this.#length;
  }

  push(item: T): void {
    if (this.#length > this.#mask) this.#grow();
    this.#slots[(this.#head + this.#length) & this.#mask] = item;
    this.#length++;
  }

  /** Removes and returns the oldest item. The caller checks {@link length} first. */
  shift(): T {
    const slots = this.#slots;
    const head = this.#head;
    const item = slots[head] as T;
    slots[head] = undefined;
    this.#head = (head + 1) & this.#mask;
    this.#length--;
    return item;
  }

  /** Removes and returns the newest item. The caller checks {@link length} first. */
  pop(): T {
    const index = (this.#head + this.#length - 1) & this.#mask;
    const item = this.#slots[index] as T;
    this.#slots[index] = undefined;
    this.#length--;
    return item;
  }

  /** The oldest item, left in place. The caller checks {@link length} first. */
  peek(): T {
    return this.#slots[this.#head] as T;
  }

  #grow(): void {
    const old = this.#slots;
    const size = old.length;
    const slots: (T | undefined)[] = Array.from({ length: size * 2 }, () => undefined);
    // Unroll the wrapped contents so the oldest item lands at index 0 of the new array.
    for (let i = 0; i < size; i++) slots[i] = old[(this.#head + i) & this.#mask];
    this.#slots = slots;
    this.#mask = size * 2 - 1;
    this.#head = 0;
  }
}
