package dsl

func (b *builder) compileSites() {}
