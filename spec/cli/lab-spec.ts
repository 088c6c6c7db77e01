import { expect } from 'chai';
import { LAB_ARCHS } from '../../src/cli/lab.js';
import { ALL_ARCHS } from '../../src/lab/runLab.js';

describe('rxbridge lab (registration)', () => {
  it('names in its help the architectures the lab runs (kept apart so registering does not load the lab)', () => {
    expect([...LAB_ARCHS]).to.deep.equal([...ALL_ARCHS]);
  });
});
